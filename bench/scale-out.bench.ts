/**
 * Scale-out (docs/scale-out.md): the lines per second one watcher replica scores and delivers over real files, with
 * the shipped web model and its default detector, pushing its anomalies to (the fake) Loki; then the same streams
 * shared by two replicas with `watch.shard`, one after the other on this machine, so each one's seconds are its
 * own. Replicas needed for R lines/s: ceil(R / linesPerSecond of "1 replica").
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../backend/src/models/index.js';
import { Watcher } from '../backend/src/watch/index.js';
import { startFakeLoki } from '../backend/testkit/fake-loki.js';
import { testContext, trafficLines } from '../backend/testkit/app.js';

const STREAMS = Number(process.env.STREAMS ?? 40);
const LINES_PER_STREAM = Number(process.env.LINES ?? 2_500);
const T0 = Date.UTC(2026, 0, 1);
const log = (msg: string) => process.stderr.write(`${msg}\n`);

const web = await loadModel(fileURLToPath(new URL('../models/web.json', import.meta.url)));
const loki = await startFakeLoki();
const base = await testContext({});
mkdirSync(join(base.dir, 'logs'));
for (let s = 0; s < STREAMS; s++) {
  const lines = trafficLines({ lines: LINES_PER_STREAM, seed: 1_000 + s, anomalyRate: 0.03, start: T0 });
  writeFileSync(join(base.dir, 'logs', `access-${s}.log`), `${lines.join('\n')}\n`);
}
const total = STREAMS * LINES_PER_STREAM;

/** One replica over every stream it owns, from the start of the files, until no backlog remains. */
async function replica(name: string, shard?: { index: number; total: number }) {
  const tc = await testContext(
    { web },
    {
      defaults: { detector: web.detector, model: 'web' },
      sources: { file: [{ path: 'logs/access-*.log', labels: { job: 'web' } }] },
      watch: { streams: ['{job="web"}'], push: { url: loki.url }, checkpoint: `state/${name}.json`, shard },
    },
    { dir: base.dir },
  );
  const watcher = await Watcher.open(tc.ctx, { from: 'start' });
  const started = performance.now();
  do await watcher.cycle();
  while (watcher.behind);
  const seconds = (performance.now() - started) / 1000;
  await watcher.stop();
  const metric = await tc.ctx.metrics.registry.getSingleMetric('anomalog_lines_scored_total')!.get();
  const lines = metric.values.reduce((n, v) => n + v.value, 0);
  const streams = new Set(metric.values.map((v) => v.labels.stream)).size;
  log(`${name}: ${lines} lines of ${streams} streams in ${seconds.toFixed(2)} s`);
  return {
    name,
    detector: web.detector,
    streams,
    lines,
    seconds: Number(seconds.toFixed(2)),
    linesPerSecond: Math.round(lines / seconds),
    shareOfLines: Number((lines / total).toFixed(3)),
  };
}

// A first pass warms the JIT and the model's kernels up (its first pass ran ~30% slower than the later ones).
await replica('warm-up');
const rows = [
  await replica('1 replica'),
  await replica('shard 0/2', { index: 0, total: 2 }),
  await replica('shard 1/2', { index: 1, total: 2 }),
];
if (rows[1].lines + rows[2].lines !== total) throw new Error('the two shards did not score every line once');
await loki.close();
await base.cleanup();
console.log(JSON.stringify({ section: 'scale-out: watcher lines/s per replica', rows }));
