/**
 * Per-stream learning over real HTTP and real files, on the demo's routes (anomalog.yaml: `{job="app"}` routed to an
 * `app` model nobody trained): `{job=~".+"}` answers every stream with no error, the app stream's lines marked
 * `learning` during its warm-up; a stream that appears while the service runs is scored once its model is learned
 * (no restart), the model has its card in the models API, and a restart keeps it.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startServer, type RunningServer } from '../api/server.js';
import { testContext, trafficLines, trainWebModel, type TestContext } from '../../testkit/app.js';
import { until } from '../../testkit/until.js';
import { queryRange, type LokiStream } from '../../testkit/loki-query.js';
import type { Model } from '../models/index.js';
import type { ConfigInput } from '../config/index.js';
import { novelShare } from './learning.js';
import { TrainingThread } from './training.js';
import { Watcher, type Anomaly } from '../watch/index.js';
import { flowLog } from '../../test/fixtures/logs.js';

const T0 = Date.UTC(2026, 0, 1);
const NS = (ms: number) => `${BigInt(ms) * 1_000_000n}`;
const RANGE = { start: NS(T0), end: NS(T0 + 86_400_000) };
const LEVELS = ['info', 'info', 'info', 'info', 'warn'];
const appLines = (from: number, n: number) =>
  Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return JSON.stringify({
      time: new Date(T0 + i * 1_000).toISOString(),
      level: LEVELS[i % LEVELS.length],
      msg: `order ${i} ${i % 3 ? 'processed' : 'shipped'} in ${(i % 7) + 1}0ms`,
    });
  });

/** The demo's routes and sources, learning quickly (warm-up of 300 lines, checked every 100 ms). */
const DEMO: ConfigInput = {
  defaults: { detector: 'ensemble', model: 'web' },
  sources: {
    file: [
      { path: 'logs/access*.log', labels: { job: 'web' } },
      { path: 'logs/app*.log', labels: { job: 'app' } },
    ],
  },
  streams: [
    { selector: '{job="web"}', model: 'web' },
    { selector: '{job="app"}', model: 'app' },
    { selector: '{job="hdfs"}', model: 'hdfs' },
  ],
  learning: { warmupLines: 300, interval: 100 },
};

let web: Model;
let tc: TestContext;
let server: RunningServer;

beforeAll(async () => {
  web = await trainWebModel();
  tc = await testContext({ web }, DEMO);
  mkdirSync(join(tc.dir, 'logs'));
  writeFileSync(join(tc.dir, 'logs', 'access.log'), `${trafficLines({ lines: 200, seed: 3, start: T0 }).join('\n')}\n`);
  writeFileSync(join(tc.dir, 'logs', 'app.log'), `${appLines(0, 100).join('\n')}\n`);
  server = await startServer(tc.ctx, { port: 0, host: '127.0.0.1' });
}, 120_000);
afterAll(async () => {
  await server?.close();
  await tc?.cleanup();
});

type Stream = LokiStream;
const query = (url: string, q: string) => queryRange(url, { query: q, limit: '5000', ...RANGE });
const severities = (streams: Stream[], job: string) =>
  new Set(streams.filter((s) => s.stream.job === job).map((s) => s.stream.anomaly_severity));
const lineCount = (streams: Stream[], job: string) =>
  streams.filter((s) => s.stream.job === job).reduce((n, s) => n + s.values.length, 0);

describe('per-stream learning', () => {
  it('answers {job=~".+"} with every stream; a new stream is learning, then scored after its warm-up', async () => {
    const first = await query(server.url, '{job=~".+"}');
    expect(first.status).toBe(200);
    expect(first.warnings).toBeUndefined();
    expect(lineCount(first.streams, 'web')).toBe(200);
    expect(lineCount(first.streams, 'app')).toBe(100);
    expect(severities(first.streams, 'app')).toEqual(new Set(['learning']));
    const reason = first.streams.find((s) => s.stream.job === 'app')!.stream.anomaly_reason;
    expect(reason).toMatch(/^learning auto-app for \{job="app"\}: \d+ of 300 lines$/);
    // LogQL on the anomaly fields still works with learning lines in the result
    const filtered = await query(server.url, '{job=~".+"} | anomaly_severity="learning"');
    expect(lineCount(filtered.streams, 'app')).toBe(100);
    expect(lineCount(filtered.streams, 'web')).toBe(0);

    appendFileSync(join(tc.dir, 'logs', 'app.log'), `${appLines(100, 300).join('\n')}\n`);
    await until('the app model', async () => tc.ctx.models.get('auto-app') !== undefined);
    const after = await query(server.url, '{job="app"}');
    expect(after.status).toBe(200);
    expect(lineCount(after.streams, 'app')).toBe(400);
    expect(severities(after.streams, 'app').has('learning')).toBe(false);
    expect(after.streams.every((s) => s.stream.anomaly_detector.startsWith('auto-app/'))).toBe(true);

    const card = (await (await fetch(`${server.url}/api/v1/models/auto-app`)).json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(card.format).toBe('json');
    expect(card.quality.learned).toMatchObject({
      streams: '{job="app"}',
      lines: 300,
      format: 'json',
      seed: 42,
      why: 'warm-up',
    });
    expect(card.quality.validation.passed).toBe(true);
  }, 120_000);

  it('keeps the learned model over a restart: scored at once, nothing learning', async () => {
    const again = await testContext({}, DEMO, { dir: tc.dir });
    const restarted = await startServer(again.ctx, { port: 0, host: '127.0.0.1' });
    try {
      expect(again.ctx.models.names()).toEqual(['auto-app', 'web']);
      const res = await query(restarted.url, '{job=~".+"}');
      expect(res.status).toBe(200);
      expect(lineCount(res.streams, 'app')).toBe(400);
      expect(severities(res.streams, 'app').has('learning')).toBe(false);
    } finally {
      await restarted.close();
      await again.ctx.learner.close();
      await again.ctx.sources.close();
    }
  }, 60_000);

  it('measures drift as the share of lines whose template the model never saw', () => {
    const model = tc.ctx.models.get('auto-app')!;
    expect(novelShare(model, appLines(0, 100))).toBe(0);
    const novel = Array.from({ length: 50 }, (_, i) =>
      JSON.stringify({ time: new Date(T0).toISOString(), level: 'error', msg: `disk ${i} failed: controller reset` }),
    );
    expect(novelShare(model, [...appLines(0, 50), ...novel])).toBeCloseTo(0.5, 1);
  });

  it('retrains on drift through validation, keeping the replaced model for rollback', async () => {
    const before = tc.ctx.models.get('auto-app')!;
    const novel = Array.from({ length: 400 }, (_, i) =>
      JSON.stringify({
        time: new Date(T0 + (500 + i) * 1_000).toISOString(),
        level: LEVELS[i % LEVELS.length],
        msg: `refund ${i} ${i % 2 ? 'approved' : 'queued'} by clerk ${i % 9}`,
      }),
    );
    appendFileSync(join(tc.dir, 'logs', 'app.log'), `${novel.join('\n')}\n`);
    await until('a retrained model', async () => tc.ctx.models.get('auto-app') !== before);
    const card = (await (await fetch(`${server.url}/api/v1/models/auto-app`)).json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(card.quality.learned).toMatchObject({ why: 'drift', lines: 300 });
    expect(card.rollbackAvailable).toBe(true);
    const rolled = await fetch(`${server.url}/api/v1/models/auto-app/rollback`, { method: 'POST' });
    expect(rolled.status).toBe(200);
    expect(tc.ctx.models.get('auto-app')!.createdAt).toBe(before.createdAt);
  }, 60_000);

  it('the watcher takes the learned model up with no restart: its lines are scored and anomalies delivered', async () => {
    const own = await testContext(
      { web },
      { ...DEMO, watch: { streams: ['{job="app"}'], checkpoint: 'state/checkpoint.json' } },
    );
    try {
      const app = join(own.dir, 'logs', 'app.log');
      mkdirSync(join(own.dir, 'logs'));
      writeFileSync(app, `${appLines(0, 100).join('\n')}\n`);
      const sent: Anomaly[] = [];
      const watcher = await Watcher.open(own.ctx, { sink: { send: async (a) => void sent.push(...a) }, from: 'start' });
      expect(await watcher.cycle()).toBe(true);
      appendFileSync(app, `${appLines(100, 300).join('\n')}\n`);
      expect(await watcher.cycle()).toBe(true);
      expect(sent).toEqual([]); // learning: nothing scored, nothing delivered
      await until('the app model', async () => own.ctx.models.get('auto-app') !== undefined);
      const panic = JSON.stringify({
        time: new Date(T0 + 500_000).toISOString(),
        level: 'fatal',
        msg: 'kernel panic: cpu 3 stuck for 22s',
      });
      appendFileSync(app, `${[...appLines(400, 20), panic].join('\n')}\n`);
      expect(await watcher.cycle()).toBe(true);
      expect(sent.map((a) => a.scored.line)).toContain(panic);
      expect(sent.every((a) => a.scored.detector.startsWith('auto-app/'))).toBe(true);
      await watcher.stop();
    } finally {
      await own.cleanup();
    }
  }, 60_000);

  it('a stream no `streams` entry names, whose lines the default model does not read, learns its own', async () => {
    const own = await testContext(
      { web },
      {
        ...DEMO,
        sources: { file: [{ path: 'logs/pfirewall*.log', labels: { job: 'fw' } }] },
        watch: { streams: ['{job="fw"}'], checkpoint: 'state/checkpoint.json' },
      },
    );
    try {
      mkdirSync(join(own.dir, 'logs'));
      const fw = join(own.dir, 'logs', 'pfirewall.log');
      const lines = flowLog(12, { scan: { minute: 9, ports: 60 }, layout: 'pfirewall' });
      writeFileSync(fw, `${lines.slice(0, 400).join('\r\n')}\r\n`);
      const sent: Anomaly[] = [];
      const watcher = await Watcher.open(own.ctx, { sink: { send: async (a) => void sent.push(...a) }, from: 'start' });
      expect(await watcher.cycle()).toBe(true);
      // Before, the web model (defaults.model) scored it: every line critical.
      expect(own.ctx.models.route({ job: 'fw', filename: fw }).model).toBe('auto-fw');
      expect(sent).toEqual([]);
      await until('the firewall model', async () => own.ctx.models.get('auto-fw') !== undefined);
      expect(own.ctx.models.get('auto-fw')!.format).toBe('csv');
      appendFileSync(fw, `${lines.slice(400).join('\r\n')}\r\n`);
      for (let i = 0; i < 5 && (await watcher.cycle()); i++);
      // The probes: all flagged (this model never saw a dropped packet), from the 26th destination as a sweep too.
      const probes = sent.filter((a) => a.scored.line.includes(' 198.51.100.7 '));
      expect(probes).toHaveLength(60);
      expect(probes.filter((a) => a.scored.reasons.some((r) => r.includes('a scan?')))).toHaveLength(35);
      expect(sent).toHaveLength(60);
      expect(sent.every((a) => a.scored.detector.startsWith('auto-fw/'))).toBe(true);
      await watcher.stop();
    } finally {
      await own.cleanup();
    }
  }, 60_000);

  it('a warm-up whose lines do not validate is not trained again on the same lines at every tick', async () => {
    await tc.ctx.learner.close(); // the other contexts' learners train no more: every try counted is this one's
    const run = vi.spyOn(TrainingThread.prototype, 'run');
    const own = await testContext({ web }, { ...DEMO, learning: { warmupLines: 300, warmup: 0, interval: 50 } });
    try {
      mkdirSync(join(own.dir, 'logs'));
      // The training lines are all one line; every 10th line (the held-out share) is new: validation fails.
      const lines = Array.from({ length: 300 }, (_, i) =>
        i % 10 === 9 ? `\u0001\u0002 FATAL ${'\u00ff'.repeat(3_000 + i)}` : 'heartbeat ok',
      );
      writeFileSync(join(own.dir, 'logs', 'app.log'), `${lines.join('\n')}\n`);
      own.ctx.learner.want(own.ctx.models.route({ job: 'app' }).learned!);
      await until('a failed try', async () => own.ctx.learner.status().some((s) => s.failed !== undefined));
      const tries = run.mock.calls.length;
      await new Promise((r) => setTimeout(r, 1_000)); // twenty ticks
      expect(run.mock.calls.length).toBe(tries);
      expect(own.ctx.models.get('auto-app')).toBeUndefined();
    } finally {
      run.mockRestore();
      await own.cleanup();
    }
  }, 60_000);
});
