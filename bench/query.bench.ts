/**
 * Loki API latency on a 5,000-line range of the embedded file source: query_range (scored index + LogQL + JSON)
 * against the raw read of the same lines from the same source. p50/p95 over RUNS runs, in-process (app.request);
 * `first_ms` of the first query includes scoring all 5,000 lines into the index.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Hono } from 'hono';
import { lokiRoutes } from '../backend/src/api/loki/index.js';
import { testContext, trafficLines, trainWebModel } from '../backend/testkit/app.js';
import { parseSelector } from '../backend/src/logql/selector.js';

const LINES = 5_000;
const RUNS = Number(process.env.RUNS ?? 20);
const T0 = Date.UTC(2026, 0, 1);

const log = (msg: string) => process.stderr.write(`${msg}\n`);

log('training the web model...');
const tc = await testContext({ web: await trainWebModel() });
const lines = trafficLines({ lines: LINES, seed: 21, anomalyRate: 0.05, start: T0, diurnal: false });
mkdirSync(join(tc.dir, 'logs'));
writeFileSync(join(tc.dir, 'logs', 'access.log'), `${lines.join('\n')}\n`);
const app = new Hono().route('/', lokiRoutes(tc.ctx));
const start = BigInt(T0) * 1_000_000n;
const end = start + 86_400_000_000_000n;

async function measure(name: string, run: () => Promise<number>) {
  const t0 = performance.now();
  const returned = await run(); // warm-up (for the first query: scoring the file into the index), checks the result
  const first = Number((performance.now() - t0).toFixed(2));
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await run();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const pick = (q: number) => Number(times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(2));
  log(`${name}: p50 ${pick(0.5)} ms, p95 ${pick(0.95)} ms`);
  return { name, lines: LINES, returned, runs: RUNS, first_ms: first, p50_ms: pick(0.5), p95_ms: pick(0.95) };
}

async function queryRange(
  query: string,
  extra: Record<string, string> = {},
  headers: Record<string, string> = {},
): Promise<number> {
  const params = new URLSearchParams({ query, start: String(start), end: String(end), limit: String(LINES), ...extra });
  const res = await app.request(`/loki/api/v1/query_range?${params}`, { headers });
  if (res.status !== 200) throw new Error(`query_range ${query} answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { data: { result: { values: unknown[] }[] } };
  return body.data.result.reduce((n, s) => n + s.values.length, 0);
}

const rows = [
  await measure('raw read (file source)', async () => {
    let n = 0;
    for await (const _ of tc.ctx.sources.read({ selector: parseSelector('{job="web"}'), lineFilters: [], start, end }))
      n++;
    return n;
  }),
  await measure('query_range {job="web"}', () => queryRange('{job="web"}')),
  await measure('query_range categorize-labels', () =>
    queryRange('{job="web"}', {}, { 'X-Loki-Response-Encoding-Flags': 'categorize-labels' }),
  ),
  await measure('query_range | anomaly_severity=~"high|critical"', () =>
    queryRange('{job="web"} | anomaly_severity=~"high|critical"'),
  ),
  await measure('metric sum by severity, step 60s', () =>
    queryRange('sum by (anomaly_severity) (count_over_time({job="web"}[5m]))', { step: '60' }),
  ),
];
await tc.cleanup();
console.log(JSON.stringify({ section: 'Loki API query latency (5,000-line range, embedded file source)', rows }));
