/**
 * The service's scoring loop (service/stream-scoring.ts) where users meet it:
 * - the watcher's sustained lines/s on file sources, one process, a backlog of 1,000,000 access lines
 *   (make_access_log.py, the scan benchmark's input) in 4 files read from their start (a model trained on the first
 *   100,000 lines, the default ensemble detector and the iforest alone; anomalies go to a sink that counts them),
 *   beside `anomalog scan` of the same lines with the same model on one thread, in the same run (the machine's speed
 *   drifts);
 * - `query_range` latency over a 5,000-line and a 1,000,000-line range of the embedded file source (`first_ms` and
 *   `first_cpu_s` include scoring the file into the query index; the index keeps the newest 500,000 lines of a file,
 *   so the 1,000,000-line range answers from those);
 * - `npm start`-style, the watcher and the Loki API in one process over the same files: a backlog of 400,000 lines in
 *   4 files (small enough for the query index's 256 MiB) caught up by the watcher while a dashboard asks
 *   `query_range` every second, then once more after: the seconds until that last answer, and how many times each
 *   line was scored (`anomalog_lines_scored_total` over the lines).
 * `cpu_s` is this process's CPU time over the same span (steadier than the wall time when others share the cores).
 * `SERVICE_PARTS=watcher,query,combined` (the default: all) runs only some of them.
 * The heap grows as under `anomalog start` (cli/memory.ts, boundHeapGrowth).
 * The machine is shared (2 cores, other work running): figures vary by ±30% from run to run.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Hono } from 'hono';
import type { Counter } from 'prom-client';
import { lokiRoutes } from '../backend/src/api/loki/index.js';
import { boundHeapGrowth } from '../backend/src/cli/memory.js';
import { saveModel } from '../backend/src/models/index.js';
import { train } from '../backend/src/pipeline/index.js';
import { Watcher, type Anomaly } from '../backend/src/watch/index.js';
import { testContext } from '../backend/testkit/app.js';
import type { DetectorKind } from '../backend/src/types.js';
import { accessLog, timeAnomalog } from './cli-run.js';

boundHeapGrowth(); // as `anomalog start` does
const WATCH_LINES = Number(process.env.WATCH_LINES ?? 1_000_000);
const FILES = 4;
const RUNS = Number(process.env.RUNS ?? 5);
/** make_access_log.py writes 1 March 2024 onwards. */
const T0 = Date.UTC(2024, 2, 1);
const log = (msg: string) => process.stderr.write(`${msg}\n`);
/** This process's CPU seconds (user and system) since `from`: steadier than wall time on the shared machine. */
const cpuSeconds = (from: NodeJS.CpuUsage) => {
  const { user, system } = process.cpuUsage(from);
  return Number(((user + system) / 1e6).toFixed(2));
};
const rows: Record<string, unknown>[] = [];
const PARTS = new Set((process.env.SERVICE_PARTS ?? 'watcher,query,combined').split(','));
const COMBINED_LINES = Number(process.env.COMBINED_LINES ?? 400_000);

// The input of the scan benchmark and issue 19 (../shared/bench/make_access_log.py), cut into 4 files, and a model
// trained on its first 100,000 lines, as `anomalog scan` trains by default (the shipped web model, trained on the
// generator's traffic, flags 45% of these lines, and an anomaly's reasons cost more than a normal line).
const input = accessLog(WATCH_LINES);
const lines = readFileSync(input, 'utf8')
  .split('\n')
  .filter((l) => l !== '');
log('training the model on the first 100,000 lines...');
const web = await train(lines.slice(0, 100_000), { name: 'web', detector: 'ensemble', seed: 1, source: 'bench' });
const MODEL = join(mkdtempSync(join(tmpdir(), 'anomalog-bench-')), 'web.json');
await saveModel(MODEL, web);
for (const detector of (PARTS.has('watcher') ? ['ensemble', 'iforest'] : []) as DetectorKind[]) {
  const tc = await testContext(
    { web },
    {
      defaults: { detector, model: 'web' },
      watch: { streams: ['{job="web"}'], checkpoint: 'state/checkpoint.json' },
    },
  );
  mkdirSync(join(tc.dir, 'logs'));
  const per = Math.ceil(lines.length / FILES);
  for (let f = 0; f < FILES; f++)
    writeFileSync(join(tc.dir, 'logs', `access-${f}.log`), `${lines.slice(f * per, (f + 1) * per).join('\n')}\n`);
  let anomalies = 0;
  const sink = { send: async (a: Anomaly[]) => void (anomalies += a.length) };
  const watcher = await Watcher.open(tc.ctx, { sink, from: 'start' });
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  do await watcher.cycle();
  while (watcher.behind);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(cpu0);
  await watcher.stop();
  const rss = process.memoryUsage().rss;
  log(`watcher ${detector}: ${lines.length} lines in ${seconds.toFixed(1)} s, ${anomalies} anomalies`);
  rows.push({
    name: `watcher, ${FILES} files, ${detector}`,
    lines: lines.length,
    seconds: Number(seconds.toFixed(2)),
    lines_per_s: Math.round(lines.length / seconds),
    cpu_s: cpu,
    anomalies,
    rss_mb: Math.round(rss / 2 ** 20),
    load: loadavg()[0].toFixed(2),
  });
  await tc.cleanup();
  // The same lines and model through `anomalog scan` on one thread, in this run: the scorer's speed on the machine now.
  const scan = await timeAnomalog(['scan', input, '--model', MODEL, '--detector', detector, '--threads', '1']);
  log(`scan --threads 1 ${detector}: ${scan.seconds.toFixed(1)} s`);
  rows.push({
    name: `reference: anomalog scan --model web --threads 1, ${detector}`,
    lines: lines.length,
    seconds: Number(scan.seconds.toFixed(2)),
    lines_per_s: Math.round(lines.length / scan.seconds),
    rss_mb: scan.peakRssMb,
  });
}

/**
 * query_range over a range holding all of a file's `total` lines (Grafana's limit of 5,000 lines, newest first), in a
 * fresh context: `first_ms` scores the file into the index, the next runs read the index.
 */
async function latency(total: number) {
  const tc = await testContext({ web }, { defaults: { detector: 'ensemble', model: 'web' } });
  mkdirSync(join(tc.dir, 'logs'));
  writeFileSync(join(tc.dir, 'logs', 'access.log'), `${lines.slice(0, total).join('\n')}\n`);
  const app = new Hono().route('/', lokiRoutes(tc.ctx));
  const start = BigInt(T0) * 1_000_000n;
  const end = start + 7n * 86_400_000_000_000n;
  const run = async () => {
    const params = new URLSearchParams({
      query: '{job="web"}',
      start: String(start),
      end: String(end),
      limit: '5000',
      direction: 'backward',
    });
    const res = await app.request(`/loki/api/v1/query_range?${params}`);
    if (res.status !== 200) throw new Error(`query_range answered ${res.status}: ${await res.text()}`);
    const body = (await res.json()) as { data: { result: { values: unknown[] }[] } };
    return body.data.result.reduce((n, s) => n + s.values.length, 0);
  };
  let t = performance.now();
  const cpu = process.cpuUsage();
  const returned = await run();
  const firstMs = performance.now() - t;
  const firstCpu = cpuSeconds(cpu);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    t = performance.now();
    await run();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const p50 = times[Math.floor(times.length / 2)];
  log(
    `query_range over ${total} lines: first ${firstMs.toFixed(0)} ms (${firstCpu} s of CPU), p50 ${p50.toFixed(0)} ms`,
  );
  rows.push({
    name: `query_range {job="web"}, ${total.toLocaleString('en-US')}-line range`,
    lines: total,
    returned,
    first_ms: Math.round(firstMs),
    first_cpu_s: firstCpu,
    p50_ms: Number(p50.toFixed(1)),
    max_ms: Number(times[times.length - 1].toFixed(1)),
    load: loadavg()[0].toFixed(2),
  });
  await tc.cleanup();
}

/** Sum of a counter's values. */
const sum = async (c: Counter) => (await c.get()).values.reduce((n, v) => n + v.value, 0);

/** The watcher and the Loki API of one process over the same backlog, a dashboard querying every second meanwhile. */
async function combined(count: number) {
  const tc = await testContext(
    { web },
    {
      defaults: { detector: 'ensemble', model: 'web' },
      watch: { streams: ['{job="web"}'], checkpoint: 'state/checkpoint.json' },
    },
  );
  mkdirSync(join(tc.dir, 'logs'));
  const per = Math.ceil(count / FILES);
  for (let f = 0; f < FILES; f++)
    writeFileSync(join(tc.dir, 'logs', `access-${f}.log`), `${lines.slice(f * per, (f + 1) * per).join('\n')}\n`);
  const app = new Hono().route('/', lokiRoutes(tc.ctx));
  const start = BigInt(T0) * 1_000_000n;
  const params = new URLSearchParams({
    query: '{job="web"}',
    start: String(start),
    end: String(start + 7n * 86_400_000_000_000n),
    limit: '100',
    direction: 'backward',
  });
  const query = async () => {
    const res = await app.request(`/loki/api/v1/query_range?${params}`);
    if (res.status !== 200) throw new Error(`query_range answered ${res.status}: ${await res.text()}`);
    await res.text();
  };
  const watcher = await Watcher.open(tc.ctx, { sink: { send: async () => undefined }, from: 'start' });
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let caughtUp = false;
  let queries = 0;
  const dashboard = (async () => {
    while (!caughtUp) {
      const next = performance.now() + 1_000;
      await query();
      queries++;
      await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
    }
  })();
  do await watcher.cycle();
  while (watcher.behind);
  caughtUp = true;
  await dashboard;
  const last = performance.now();
  await query();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(cpu0);
  const scored = await sum(tc.ctx.metrics.linesScored);
  log(
    `watcher + API, ${count} lines: ${seconds.toFixed(1)} s, scored ${(scored / count).toFixed(2)} times a line, ${queries + 1} queries`,
  );
  rows.push({
    name: `npm start-style: watcher + query_range every 1 s, ${FILES} files, ensemble`,
    lines: count,
    seconds: Number(seconds.toFixed(2)),
    lines_per_s: Math.round(count / seconds),
    cpu_s: cpu,
    scorings_per_line: Number((scored / count).toFixed(3)),
    queries: queries + 1,
    last_query_ms: Math.round(performance.now() - last),
    load: loadavg()[0].toFixed(2),
  });
  await watcher.stop();
  await tc.cleanup();
}

if (PARTS.has('query')) {
  await latency(5_000);
  await latency(Number(process.env.QUERY_LINES ?? 1_000_000));
}
if (PARTS.has('combined')) await combined(COMBINED_LINES);
rmSync(dirname(MODEL), { recursive: true, force: true });

console.log(JSON.stringify({ section: 'Service: watcher lines/s and query_range latency (one process)', rows }));
