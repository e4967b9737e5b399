/**
 * One scoring of each file line in the service (`anomalog start`: the watcher and the Loki API in one process): the
 * query index takes the lines the watcher scored, and scores by itself only those before where the watcher began.
 * Real files, the real watcher loop, the API over loopback HTTP, the fake Loki receiving the pushes.
 */
import { appendFileSync, existsSync, renameSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../api/server.js';
import { trafficLines, watchedWebContext, type WatchedWebContext } from '../../testkit/app.js';
import { until } from '../../testkit/until.js';
import { queryRange } from '../../testkit/loki-query.js';
import { Watcher } from '../watch/index.js';

const T0 = Date.UTC(2026, 0, 1);
const T1 = T0 + 3_600_000;
let tc: WatchedWebContext;
let server: RunningServer;
let watcher: Watcher;
let log: string;

beforeAll(async () => {
  tc = await watchedWebContext();
  log = tc.log;
  // Lines written before the watcher starts (it starts at the end of a file): the index scores these itself.
  writeFileSync(log, `${trafficLines({ lines: 100, seed: 5, anomalyRate: 0.2, start: T0 }).join('\n')}\n`);
  server = await startServer(tc.ctx, { port: 0, host: '127.0.0.1' });
  watcher = await Watcher.open(tc.ctx, { intervalMs: 50, backoff: { initialMs: 10, maxMs: 40 } });
  watcher.start();
}, 60_000);
afterAll(async () => {
  await watcher?.stop();
  await server?.close();
  await tc?.cleanup();
});

const scored = async () => (await tc.ctx.metrics.linesScored.get()).values.reduce((n, v) => n + v.value, 0);

/** The lines of `{job="web"}` from `fromMs` on that the Loki API shows as anomalies. */
async function queriedAnomalies(fromMs: number): Promise<string[]> {
  const { status, streams } = await queryRange(server.url, {
    query: '{job="web"} | anomaly_severity != "normal"',
    start: `${BigInt(fromMs) * 1_000_000n}`,
    end: `${BigInt(fromMs + 86_400_000) * 1_000_000n}`,
    limit: '5000',
  });
  expect(status).toBe(200);
  return streams.flatMap((s) => s.values.map((v) => v[1])).sort();
}

const pushedLines = () => tc.loki.pushes.flatMap((p) => p.streams.flatMap((s) => s.values.map((v) => v[1]))).sort();

it('scores each line once: the query index takes the lines the watcher scored, and shows the anomalies it pushed', async () => {
  // Its first cycle done (checkpointed), the watcher follows the file from its end.
  await until('the watcher following the file', async () => existsSync(tc.ctx.config.watch.checkpoint), 10_000, 20);
  const lines = trafficLines({ lines: 400, seed: 6, anomalyRate: 0.2, start: T1 });
  appendFileSync(log, `${lines.join('\n')}\n`);
  await until('the watcher scoring the 400 lines', async () => (await scored()) >= 400, 10_000, 20);

  const anomalies = await queriedAnomalies(T1);
  expect(anomalies.length).toBeGreaterThan(20);
  expect(anomalies).toEqual(pushedLines());
  // 400 lines by the watcher, and the 100 written before it started by the index: none twice.
  expect(await scored()).toBe(500);

  const more = trafficLines({ lines: 300, seed: 7, anomalyRate: 0.2, start: T1 + 3_600_000 });
  appendFileSync(log, `${more.join('\n')}\n`);
  await until('the watcher scoring 300 more', async () => (await scored()) >= 800, 10_000, 20);
  expect(await queriedAnomalies(T1)).toEqual(pushedLines());
  expect(await scored()).toBe(800);
}, 60_000);

it('after a rotation, takes the new file from the watcher too: scored once, the same anomalies', async () => {
  const before = await scored();
  renameSync(log, `${log}.1`);
  const T2 = T1 + 7_200_000;
  const lines = trafficLines({ lines: 200, seed: 8, anomalyRate: 0.2, start: T2 });
  writeFileSync(log, `${lines.join('\n')}\n`);
  await until('the watcher scoring the new file', async () => (await scored()) >= before + 200, 10_000, 20);
  const fresh = new Set(lines);
  expect(await queriedAnomalies(T2)).toEqual(pushedLines().filter((l) => fresh.has(l)));
  expect(await scored()).toBe(before + 200);
}, 60_000);
