import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateTraffic } from '@anomalog/generator/traffic/offline.js';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Model } from '../models/index.js';
import { startFakeLoki, type FakeLoki } from '../testing/fake-loki.js';
import { testContext, trainWebModel, type TestContext } from '../api/testing.js';
import { consoleSink } from './sinks.js';
import { Watcher } from './index.js';

const T0 = Date.UTC(2026, 0, 1);
const traffic = (lines: number, seed: number, start = T0) =>
  [...generateTraffic({ lines, seed, anomalyRate: 0.2, start })].map((r) => r.line);

let model: Model;
let loki: FakeLoki;
let tc: TestContext;
const fast = { backoff: { initialMs: 10, maxMs: 40 } };

beforeAll(async () => {
  model = await trainWebModel();
});
beforeEach(async () => {
  loki = await startFakeLoki();
});
afterEach(async () => {
  await loki.close();
  await tc?.cleanup();
});

async function fileContext(push: string) {
  tc = await testContext({ web: model }, { watch: { streams: ['{job="web"}'], push: { url: push }, checkpoint: 'state/checkpoint.json' } });
  mkdirSync(join(tc.dir, 'logs'));
  return join(tc.dir, 'logs', 'access.log');
}

/** The anomalous lines among `lines`, scored in one pass by the stream's model: what a watcher must deliver. */
function expectedAnomalies(labels: Record<string, string>, lines: string[]): string[] {
  const scorer = tc.ctx.models.scorerFor(labels);
  const scored = [...lines.flatMap((l) => scorer.push(l)), ...scorer.end()];
  return scored.filter((s) => s.anomaly).map((s) => s.line).sort();
}

const pushedLines = () => loki.pushes.flatMap((p) => p.streams.flatMap((s) => s.values.map((v) => v[1]))).sort();

describe('watcher', () => {
  it('resumes exactly after a restart: no gap and no duplicate', async () => {
    const log = await fileContext(loki.url);
    const [a, b, c] = [traffic(300, 1), traffic(150, 2, T0 + 600_000), traffic(150, 3, T0 + 1_200_000)];
    writeFileSync(log, `${a.join('\n')}\n`);

    const first = await Watcher.open(tc.ctx, { from: 'start', ...fast });
    expect(await first.cycle()).toBe(true);
    appendFileSync(log, `${b.slice(0, 100).join('\n')}\n${b[100].slice(0, 20)}`); // mid-stream: a half-written line
    expect(await first.cycle()).toBe(true);
    await first.stop();

    appendFileSync(log, `${b[100].slice(20)}\n${b.slice(101).join('\n')}\n${c.join('\n')}\n`);
    const second = await Watcher.open(tc.ctx, { from: 'start', ...fast });
    expect(await second.cycle()).toBe(true);
    // A crash (no stop) after the next delivery must not re-deliver either.
    appendFileSync(log, `${traffic(50, 4, T0 + 1_800_000).join('\n')}\n`);
    expect(await second.cycle()).toBe(true);
    const third = await Watcher.open(tc.ctx, { from: 'start', ...fast });
    expect(await third.cycle()).toBe(true);
    await Promise.all([second.stop(), third.stop()]);

    const all = readFileSync(log, 'utf8').trim().split('\n');
    const expected = expectedAnomalies({ job: 'web', filename: log }, all);
    expect(expected.length).toBeGreaterThan(10);
    expect(pushedLines()).toEqual(expected);

    const [stream] = loki.pushes[0].streams;
    expect(Object.keys(stream.stream).sort()).toEqual(['service_name', 'severity', 'source_job']);
    expect(stream.stream).toMatchObject({ service_name: 'anomalog', source_job: 'web' });
    expect(Object.keys(stream.values[0][2]!).sort()).toEqual(['anomaly_detector', 'anomaly_reason', 'anomaly_score', 'anomaly_template', 'source_stream']);
  });

  it('backs off while Loki is down and delivers everything read, once, when it is back', async () => {
    const log = await fileContext(loki.url);
    const lines = traffic(300, 5);
    writeFileSync(log, `${lines.join('\n')}\n`);
    const watcher = await Watcher.open(tc.ctx, { from: 'start', ...fast });
    const checkpoint = join(tc.dir, 'state', 'checkpoint.json');

    loki.setDown(true);
    expect(await watcher.cycle()).toBe(false);
    expect(watcher.backoffMs()).toBe(10);
    appendFileSync(log, `${traffic(100, 6, T0 + 600_000).join('\n')}\n`);
    expect(await watcher.cycle()).toBe(false);
    expect(await watcher.cycle()).toBe(false);
    expect(watcher.backoffMs()).toBe(40);
    expect(await watcher.cycle()).toBe(false);
    expect(watcher.backoffMs()).toBe(40); // capped
    expect(existsSync(checkpoint)).toBe(false); // nothing delivered, nothing checkpointed
    expect(await tc.ctx.metrics.registry.getSingleMetricAsString('anomalog_source_errors_total')).toMatch(/source="push"} 4/);

    loki.setDown(false);
    expect(await watcher.cycle()).toBe(true);
    expect(await watcher.cycle()).toBe(true);
    await watcher.stop();
    expect(existsSync(checkpoint)).toBe(true);
    expect(pushedLines()).toEqual(expectedAnomalies({ job: 'web', filename: log }, readFileSync(log, 'utf8').trim().split('\n')));
  });

  it('runs on its own timer until stopped', async () => {
    const log = await fileContext(loki.url);
    writeFileSync(log, `${traffic(200, 7).join('\n')}\n`);
    const watcher = await Watcher.open(tc.ctx, { from: 'start', intervalMs: 5, ...fast });
    watcher.start();
    await expect.poll(() => loki.pushes.length, { timeout: 10_000 }).toBeGreaterThan(0);
    await watcher.stop();
    expect(pushedLines()).toEqual(expectedAnomalies({ job: 'web', filename: log }, readFileSync(log, 'utf8').trim().split('\n')));
  });

  it('prints anomalies to the console, coloured, when no push URL is set', async () => {
    const log = await fileContext('');
    const lines = traffic(200, 8);
    writeFileSync(log, `${lines.join('\n')}\n`);
    const printed: string[] = [];
    const watcher = await Watcher.open(tc.ctx, { from: 'start', sink: consoleSink((t) => printed.push(t)) });
    expect(await watcher.cycle()).toBe(true);
    await watcher.stop();
    const expected = expectedAnomalies({ job: 'web', filename: log }, lines);
    expect(printed).toHaveLength(expected.length);
    for (const text of printed) expect(text).toMatch(/(LOW|MEDIUM|HIGH|CRITICAL) +\d\.\d{3} .*\{filename=.*job="web"\}/);
  });

  it('polls Loki with a cursor and resumes after a restart without duplicates', async () => {
    const now = Date.now();
    tc = await testContext(
      { web: model },
      { sources: { file: [], loki: { url: loki.url } }, watch: { streams: ['{job="web"}'], push: { url: loki.url }, checkpoint: 'cp.json' } },
    );
    const ingest = (lines: string[], from: number) => loki.ingest({ job: 'web' }, lines.map((line, i) => ({ ts: BigInt(from + i) * 1_000_000n, line })));
    const first = traffic(200, 9);
    ingest(first, now - 600_000);
    const watcher = await Watcher.open(tc.ctx, { from: 'start', ...fast });
    expect(await watcher.cycle()).toBe(true);
    expect(await watcher.cycle()).toBe(true); // re-polls at the cursor: nothing twice, its own pushes ignored
    await watcher.stop();

    const second = traffic(100, 10);
    ingest(second, now - 300_000);
    const again = await Watcher.open(tc.ctx, { from: 'start', ...fast });
    expect(await again.cycle()).toBe(true);
    await again.stop();
    expect(pushedLines()).toEqual(expectedAnomalies({ job: 'web' }, [...first, ...second]));
  });
});
