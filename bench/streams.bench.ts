/**
 * Many streams: 1,000 log files, each its own stream (`learning.groupBy: ""`), in four formats (access log, JSON,
 * logfmt, log4j-style text), none covered by a shipped model, so each learns its own model (per-stream learning,
 * warm-up of `WARMUP` lines, 200 by default, iforest). Measured in one process:
 * - the time to learn all of them and the RSS before and after, once every stream was scored by its model (memory
 *   per stream = the growth / streams; it includes the training thread's, about 100 MB);
 * - the watcher's capacity over all streams (a backlog of 100 lines in each, scored as fast as it goes);
 * - the watcher's lag under a steady load written by a child process (`RATE` lines/s over all streams, default
 *   50,000): the age of the newest line scored, sampled every second (p50, max), and lines scored / written; the
 *   peaks of RSS, heap and lines held by the scorers (a system log's lines wait for their minute to close: bursts),
 *   the heap and RSS alive after a full collection at the end of the load, and the CPU seconds of this process and
 *   of the writer.
 * Run with `node --expose-gc --import tsx bench/streams.bench.ts` (the collections before the memory figures);
 * STREAMS, RATE, SECONDS, WARMUP change the load; SNAPSHOT=file writes a heap snapshot under load.
 * The heap grows as under `anomalog start` (cli/memory.ts, boundHeapGrowth).
 * The machine is shared (2 cores, other work running).
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { boundHeapGrowth } from '../backend/src/cli/memory.js';
import { Watcher } from '../backend/src/watch/index.js';
import { testContext } from '../backend/testkit/app.js';

const STREAMS = Number(process.env.STREAMS ?? 1_000);
const RATE = Number(process.env.RATE ?? 50_000);
const SECONDS = Number(process.env.SECONDS ?? 30);
const WARMUP = Number(process.env.WARMUP ?? 200);
boundHeapGrowth(); // as `anomalog start` does
const log = (msg: string) => process.stderr.write(`${msg}\n`);
const mb = (bytes: number) => Math.round(bytes / 2 ** 20);

/**
 * The writer, in its own process: every 100 ms, the lines due in each stream by then (stamped now, in the stream's
 * format), so a late tick writes more and the rate holds (it wrote one tick's share a tick, and fewer lines than
 * RATE × SECONDS when the machine was busy). Says at the end how many it wrote and the CPU it used.
 */
const WRITER = `
const __name = (f) => f; // what tsx's transform of line() expects
const { appendFileSync } = require('node:fs');
const [dir, streams, rate, seconds] = process.argv.slice(1).map((a, i) => (i ? Number(a) : a));
${line.toString()}
const each = Math.floor((rate * seconds) / streams);
const next = new Array(streams).fill(${WARMUP});
const t0 = Date.now();
const tick = () => {
  const due = Math.min(each, Math.floor((((Date.now() - t0) / 1000) * rate) / streams));
  for (let s = 0; s < streams; s++) {
    let text = '';
    for (; next[s] - ${WARMUP} < due; next[s]++) text += line(s, next[s], Date.now()) + '\\n';
    if (text) appendFileSync(dir + '/s' + String(s).padStart(4, '0') + '.log', text);
  }
  if (due < each) setTimeout(tick, Math.max(0, 100 - ((Date.now() - t0) % 100)));
  else process.stdout.write(JSON.stringify({ written: each * streams, s: (Date.now() - t0) / 1000, cpu: process.cpuUsage() }));
};
tick();
`;

/** Line `n` of stream `s` at time `now`: ids spread over 0..999 from the first lines on, so warm-up sees the range. */
function line(s: number, n: number, now: number): string {
  const id = (n * 7919) % 1000;
  const iso = new Date(now).toISOString();
  const words = ['order', 'payment', 'cart', 'user', 'session', 'invoice'];
  const w = words[(s + n) % words.length];
  switch (s % 4) {
    case 0: {
      const d = new Date(now);
      const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()];
      const p = (x: number) => String(x).padStart(2, '0');
      const clf = `${p(d.getUTCDate())}/${mon}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
      return `10.0.${s % 250}.${n % 200} - - [${clf}] "GET /api/${w}/${n % 97} HTTP/1.1" ${n % 50 ? 200 : 404} ${500 + ((n * 37) % 300)} "-" "Mozilla/5.0" rt=0.0${n % 9}`;
    }
    case 1:
      return JSON.stringify({
        time: iso,
        level: n % 20 ? 'info' : 'warn',
        msg: `${w} ${id} processed in ${n % 90} ms`,
      });
    case 2:
      return `time=${iso} level=${n % 20 ? 'info' : 'warn'} msg="${w} updated" id=${id} dur=${n % 90}ms`;
    default:
      return `${iso.replace('T', ' ').replace('Z', '')} ${n % 20 ? 'INFO' : 'WARN'} [worker-${n % 8}] ${w} job ${id} done in ${n % 90} ms`;
  }
}

const tc = await testContext(
  {},
  {
    defaults: { detector: 'ensemble', model: 'none' },
    sources: { file: [{ path: 'logs/*.log', labels: { job: 'many' } }] },
    watch: { streams: ['{job="many"}'], checkpoint: 'state/checkpoint.json', interval: 500 },
    // The default learning.interval (5 s, a drift check of each stream a minute): the warm-ups are checked below by
    // calling check(). At 1 s each stream's 500 latest lines were templated every 12 s for drift: 42k lines/s
    // over 1,000 streams, 13% of the main thread's CPU (--cpu-prof).
    learning: { groupBy: '', warmupLines: WARMUP, maxModels: STREAMS + 10 },
    log: { level: 'silent' },
  },
);
const dir = join(tc.dir, 'logs');
mkdirSync(dir);
const now = Date.now();
for (let s = 0; s < STREAMS; s++) {
  // the warm-up at the steady load's pace: RATE / STREAMS lines a second in each stream
  const text = Array.from({ length: WARMUP }, (_, n) => line(s, n, now - ((WARMUP - n) * 1000 * STREAMS) / RATE)).join(
    '\n',
  );
  writeFileSync(join(dir, `s${String(s).padStart(4, '0')}.log`), `${text}\n`);
}
global.gc?.();
const rssBefore = process.memoryUsage().rss;
let scored = 0;
let anomalies = 0;
/** Lines given to the scorers and not yet returned: a system log's lines wait for their minute to close (bursts). */
let held = 0;
const registry = tc.ctx.models;
const scorerFor = registry.scorerFor.bind(registry);
/** When each stream's lines were last given to its scorer (ms): under load, how long a stream waits for its turn. */
const lastRead = new Map<string, number>();
registry.scorerFor = (...args) => {
  const inner = scorerFor(...args);
  const back = <T>(lines: T[]) => ((held -= lines.length), lines);
  const stream = args[0].filename;
  return {
    ...inner,
    pushBatch: (raws, ts) => {
      lastRead.set(stream, Date.now());
      scored += raws.length;
      held += raws.length;
      return back(inner.pushBatch(raws, ts));
    },
    end: () => back(inner.end()),
    flush: () => back(inner.flush()),
  };
};
const watcher = await Watcher.open(tc.ctx, {
  sink: { send: async (a) => void (anomalies += a.length) },
  from: 'start',
});
// The first cycle meets every stream: each starts its warm-up; the learner reads its first lines and trains.
log(`learning ${STREAMS} models...`);
const t0 = performance.now();
do await watcher.cycle();
while (watcher.behind);
while (tc.ctx.models.names().length < STREAMS) {
  await tc.ctx.learner.check();
  const failed = tc.ctx.learner.status().filter((s) => s.failed).length;
  log(`  ${tc.ctx.models.names().length} learned, ${failed} failed validation`);
  if (failed + tc.ctx.models.names().length >= STREAMS) break;
}
const learnSeconds = (performance.now() - t0) / 1000;
// one more line in every stream: each is scored by its own model (brought to life), then the memory is measured
for (let s = 0; s < STREAMS; s++)
  appendFileSync(join(dir, `s${String(s).padStart(4, '0')}.log`), `${line(s, WARMUP - 1, Date.now())}\n`);
do await watcher.cycle();
while (watcher.behind);
global.gc?.();
const { rss: rssLearned, heapUsed: heapLearned, external: externalLearned } = process.memoryUsage();
const learned = tc.ctx.models.names().length;
log(`learned ${learned} in ${learnSeconds.toFixed(0)} s; RSS ${mb(rssBefore)} -> ${mb(rssLearned)} MB`);

// capacity: a backlog of BACKLOG lines in every stream, scored as fast as the watcher goes
const BACKLOG = 100;
for (let s = 0; s < STREAMS; s++) {
  const text = Array.from({ length: BACKLOG }, (_, j) => line(s, WARMUP + j, Date.now()));
  appendFileSync(join(dir, `s${String(s).padStart(4, '0')}.log`), `${text.join('\n')}\n`);
}
const backlogStart = performance.now();
const scoredBeforeBacklog = scored;
do await watcher.cycle();
while (watcher.behind);
const backlogSeconds = (performance.now() - backlogStart) / 1000;
const backlogRate = Math.round((scored - scoredBeforeBacklog) / backlogSeconds);
log(`backlog: ${scored - scoredBeforeBacklog} lines in ${backlogSeconds.toFixed(1)} s`);
const learnedAt = new Date().toISOString();
log(`steady load: ${RATE} lines/s over ${STREAMS} streams for ${SECONDS} s...`);
const scoredBefore = scored;
watcher.start();
const cpuBefore = process.cpuUsage();
const writer = spawn(process.execPath, ['-e', WRITER, dir, String(STREAMS), String(RATE), String(SECONDS)], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
let writerSaid = '';
writer.stdout.on('data', (d: Buffer) => (writerSaid += d.toString()));
const lags: number[] = [];
const waits: number[] = [];
const peak = { rss: 0, heap: 0, held: 0 };
const sampler = setInterval(() => {
  const values = (tc.ctx.metrics.watcherLag as unknown as { hashMap: Record<string, { value: number }> }).hashMap;
  lags.push(Math.max(0, ...Object.values(values).map((v) => v.value)));
  waits.push((Date.now() - Math.min(...lastRead.values())) / 1000);
  const { rss, heapUsed } = process.memoryUsage();
  peak.rss = Math.max(peak.rss, rss);
  peak.heap = Math.max(peak.heap, heapUsed);
  peak.held = Math.max(peak.held, held);
}, 1_000);
await new Promise((resolve) => writer.on('exit', resolve));
await new Promise((resolve) => setTimeout(resolve, 3_000));
clearInterval(sampler);
const cpu = process.cpuUsage(cpuBefore);
const seconds = (usage: { user: number; system: number }) => Number(((usage.user + usage.system) / 1e6).toFixed(1));
// what is alive under load (the peaks above include garbage not collected yet)
global.gc?.();
const live = process.memoryUsage();
if (process.env.SNAPSHOT) (await import('node:v8')).writeHeapSnapshot(process.env.SNAPSHOT);
await watcher.stop();
const {
  written,
  s: writerSeconds,
  cpu: writerCpu,
} = JSON.parse(writerSaid) as {
  written: number;
  s: number;
  cpu: { user: number; system: number };
};
const retrained = tc.ctx.models.names().filter((n) => tc.ctx.models.get(n)!.createdAt > learnedAt).length;
const steady = lags.slice(2).sort((a, b) => a - b);
const waited = waits.slice(2).sort((a, b) => a - b);
const rows = [
  {
    name: `${STREAMS} streams, per-stream learning (iforest, ${WARMUP}-line warm-up)`,
    learned,
    learn_s: Math.round(learnSeconds),
    rss_before_mb: mb(rssBefore),
    rss_learned_mb: mb(rssLearned),
    per_stream_kb: Math.round((rssLearned - rssBefore) / 1024 / STREAMS),
    heap_learned_mb: mb(heapLearned),
    external_learned_mb: mb(externalLearned),
  },
  {
    name: `watcher capacity over ${STREAMS} streams: a ${BACKLOG}-line backlog in each`,
    lines: STREAMS * BACKLOG,
    seconds: Number(backlogSeconds.toFixed(1)),
    lines_per_s: backlogRate,
  },
  {
    name: `watcher lag, ${RATE.toLocaleString('en-US')} lines/s over ${STREAMS} streams, ${SECONDS} s`,
    written,
    written_in_s: writerSeconds,
    scored: scored - scoredBefore,
    anomalies,
    retrained,
    lag_p50_s: Number((steady[Math.floor(steady.length / 2)] ?? 0).toFixed(2)),
    lag_max_s: Number((steady[steady.length - 1] ?? 0).toFixed(2)),
    // the longest any stream had gone unread, sampled every second: the lag gauge is only set when a stream is read
    unread_p50_s: Number((waited[Math.floor(waited.length / 2)] ?? 0).toFixed(2)),
    unread_max_s: Number((waited[waited.length - 1] ?? 0).toFixed(2)),
    peak_rss_mb: mb(peak.rss),
    peak_heap_mb: mb(peak.heap),
    peak_held_lines: peak.held,
    live_heap_mb: mb(live.heapUsed),
    live_rss_mb: mb(live.rss),
    // CPU seconds over the load and the 3 s after it, of the watcher's process (its threads) and of the writer
    cpu_s: seconds(cpu),
    writer_cpu_s: seconds(writerCpu),
  },
];
await tc.cleanup();
console.log(JSON.stringify({ section: 'Many streams: memory and watcher lag (one process)', rows }));
