import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Model } from '../models/index.js';
import { startFakeLoki, type FakeLoki } from '../../testkit/fake-loki.js';
import { testContext, trafficLines, trainWebModel, type TestContext } from '../../testkit/app.js';
import { consoleSink } from './sinks.js';
import { Watcher } from './index.js';

const T0 = Date.UTC(2026, 0, 1);
const traffic = (lines: number, seed: number, start = T0) => trafficLines({ lines, seed, anomalyRate: 0.2, start });

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
  tc = await testContext(
    { web: model },
    { watch: { streams: ['{job="web"}'], push: { url: push }, checkpoint: 'state/checkpoint.json' } },
  );
  mkdirSync(join(tc.dir, 'logs'));
  return join(tc.dir, 'logs', 'access.log');
}

/**
 * The delivery guarantee, checked against what the scorers counted (the web model is stateful, so a reference
 * scoring would differ near a restart; what must hold is delivery): every line of `lines` was scored exactly once
 * (no gap, no duplicate read), and every anomaly found was delivered exactly once.
 */
async function expectDeliveredExactlyOnce(lines: string[], delivered: [string, string][]) {
  const metric = await tc.ctx.metrics.registry.getSingleMetric('anomalog_lines_scored_total')!.get();
  const total = metric.values.reduce((n, v) => n + v.value, 0);
  const anomalies = metric.values.filter((v) => v.labels.severity !== 'normal').reduce((n, v) => n + v.value, 0);
  expect(total).toBe(lines.length);
  expect(anomalies).toBeGreaterThan(2);
  expect(delivered).toHaveLength(anomalies);
  expect(new Set(delivered.map(([ts, line]) => `${ts} ${line}`)).size).toBe(delivered.length);
  const known = new Set(lines);
  for (const [, line] of delivered) expect(known.has(line)).toBe(true);
}

const pushed = () =>
  loki.pushes.flatMap((p) => p.streams.flatMap((s) => s.values.map((v): [string, string] => [v[0], v[1]])));
const fileLines = (path: string) => readFileSync(path, 'utf8').trim().split('\n');

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

    await expectDeliveredExactlyOnce(fileLines(log), pushed());
    expect(await tc.ctx.metrics.registry.getSingleMetricAsString('anomalog_watcher_lag_seconds')).toContain(
      `stream="{filename=\\"${log}\\", job=\\"web\\"}"`,
    );

    const [stream] = loki.pushes[0].streams;
    expect(Object.keys(stream.stream).sort()).toEqual(['service_name', 'severity', 'source_job']);
    expect(stream.stream).toMatchObject({ service_name: 'anomalog', source_job: 'web' });
    expect(Object.keys(stream.values[0][2]!).sort()).toEqual([
      'anomaly_detector',
      'anomaly_reason',
      'anomaly_score',
      'anomaly_template',
      'source_stream',
    ]);
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
    expect(await tc.ctx.metrics.registry.getSingleMetricAsString('anomalog_source_errors_total')).toMatch(
      /source="push"} 4/,
    );

    loki.setDown(false);
    expect(await watcher.cycle()).toBe(true);
    expect(await watcher.cycle()).toBe(true);
    await watcher.stop();
    expect(existsSync(checkpoint)).toBe(true);
    await expectDeliveredExactlyOnce(fileLines(log), pushed());
  });

  it('runs on its own timer until stopped', async () => {
    const log = await fileContext(loki.url);
    writeFileSync(log, `${traffic(200, 7).join('\n')}\n`);
    const watcher = await Watcher.open(tc.ctx, { from: 'start', intervalMs: 5, ...fast });
    watcher.start();
    await expect.poll(() => loki.pushes.length, { timeout: 10_000 }).toBeGreaterThan(0);
    await watcher.stop();
    await expectDeliveredExactlyOnce(fileLines(log), pushed());
  });

  it('starts at the end of the files there at start, and reads files that appear later from their start', async () => {
    const log = await fileContext(loki.url);
    writeFileSync(log, `${traffic(200, 11).join('\n')}\n`);
    const watcher = await Watcher.open(tc.ctx, fast);
    expect(await watcher.cycle()).toBe(true);
    const appended = traffic(100, 12, T0 + 600_000);
    const later = traffic(150, 13, T0 + 900_000);
    appendFileSync(log, `${appended.join('\n')}\n`);
    writeFileSync(join(tc.dir, 'logs', 'access-2.log'), `${later.join('\n')}\n`);
    expect(await watcher.cycle()).toBe(true);
    await watcher.stop();
    await expectDeliveredExactlyOnce([...appended, ...later], pushed());
  });

  it('follows a UTF-16 file (as PowerShell writes it: byte-order mark, CRLF) as its lines, across a restart', async () => {
    const log = await fileContext(loki.url);
    const [a, b] = [traffic(200, 21), traffic(150, 22, T0 + 600_000)];
    const utf16 = (lines: string[]) => Buffer.from(lines.map((l) => `${l}\r\n`).join(''), 'utf16le');
    writeFileSync(log, Buffer.concat([Buffer.from([0xff, 0xfe]), utf16(a)]));
    const first = await Watcher.open(tc.ctx, { from: 'start', ...fast });
    expect(await first.cycle()).toBe(true);
    const rest = utf16(b);
    appendFileSync(log, rest.subarray(0, 301)); // a writer stopped mid-line, mid-character
    expect(await first.cycle()).toBe(true);
    await first.stop();
    appendFileSync(log, rest.subarray(301));
    const second = await Watcher.open(tc.ctx, { from: 'start', ...fast });
    expect(await second.cycle()).toBe(true);
    await second.stop();
    await expectDeliveredExactlyOnce([...a, ...b], pushed());
  });

  it('prints anomalies to the console, coloured, when no push URL is set', async () => {
    const log = await fileContext('');
    const lines = traffic(200, 8);
    writeFileSync(log, `${lines.join('\n')}\n`);
    const printed: string[] = [];
    const watcher = await Watcher.open(tc.ctx, {
      from: 'start',
      sink: consoleSink((t) => printed.push(t), { color: true }),
    });
    expect(await watcher.cycle()).toBe(true);
    await watcher.stop();
    const printedLines = printed.map((text, i): [string, string] => [
      String(i),
      lines.find((l) => text.includes(l)) ?? text,
    ]);
    await expectDeliveredExactlyOnce(lines, printedLines);
    for (const text of printed) {
      expect(text).toMatch(/\u001b\[3[1-6]m(LOW|MEDIUM|HIGH|CRITICAL)/);
      expect(stripVTControlCharacters(text)).toMatch(/(LOW|MEDIUM|HIGH|CRITICAL) +\d\.\d{3} \{filename=.*job="web"\}/);
    }
  });

  it('polls Loki with a cursor and resumes after a restart without duplicates', async () => {
    const now = Date.now();
    tc = await testContext(
      { web: model },
      {
        sources: { file: [], loki: { url: loki.url } },
        watch: { streams: ['{job="web"}'], push: { url: loki.url }, checkpoint: 'cp.json' },
      },
    );
    const ingest = (lines: string[], from: number) =>
      loki.ingest(
        { job: 'web' },
        lines.map((line, i) => ({ ts: BigInt(from + i) * 1_000_000n, line })),
      );
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
    await expectDeliveredExactlyOnce([...first, ...second], pushed());
  });
});
