/**
 * Generator throughput: offline traffic (1,000,000 lines, target >= 300k lines/s), hdfs-simulate and hdfs-augment.
 * Run: npx tsx bench/generator.bench.ts   (inputs and outputs under bench/.cache/)
 * Besides wall-clock lines/s it reports lines per CPU-second, which is what the code costs on a busy machine.
 */
import { mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { augmentHdfs, HDFS_SAMPLE, simulateHdfs, writeTraffic } from '../generator/src/index.js';

const CACHE = join(import.meta.dirname, '.cache', 'generator');
mkdirSync(CACHE, { recursive: true });

function measure<T>(name: string, work: () => T, lines: (r: T) => number) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = work();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const n = lines(result);
  const row = {
    name,
    lines: n,
    seconds: +seconds.toFixed(2),
    lines_per_s: Math.round(n / seconds),
    lines_per_cpu_s: Math.round(n / cpuSeconds),
  };
  process.stderr.write(`${JSON.stringify(row)}\n`);
  return row;
}

const load = loadavg()[0];
const rows = [
  measure(
    'traffic offline 1M lines (nginx, 2% incidents)',
    () => writeTraffic({ out: join(CACHE, 'access.log'), lines: 1_000_000, anomalyRate: 0.02, seed: 42 }),
    (s) => s.lines,
  ),
  measure(
    'hdfs-simulate 20k blocks',
    () => simulateHdfs({ out: join(CACHE, 'hdfs-sim'), blocks: 20_000, seed: 1 }),
    (s) => s.lines,
  ),
  measure(
    'hdfs-augment HDFS_2k x 50 variations',
    () => augmentHdfs({ input: HDFS_SAMPLE, out: join(CACHE, 'hdfs-aug'), variations: 50, seed: 1 }),
    (s) => s.lines,
  ),
].map((r) => ({ ...r, load_avg_1m: +load.toFixed(1) }));

console.log(JSON.stringify({ section: 'generator throughput', rows }));
