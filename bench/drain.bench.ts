/**
 * Parsing and template mining: Drain's grouping accuracy on loghub HDFS_2k, and lines per second for parsing and
 * parse + Drain on a generated Apache combined log and on HDFS.
 * Run: npx tsx bench/drain.bench.ts (generates bench/.cache/access_200k.log on first use).
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createParser, type LineParser } from '../backend/src/parsing/index.js';
import { loghubAccuracy } from '../tools/accuracy.js';
import { Drain } from '../backend/src/templates/drain.js';

const ACCESS_LOG = 'bench/.cache/access_200k.log';
const HDFS_DIR = '../shared/datasets/hdfs_2k';
const HDFS_REPEAT = 100;
const RUNS = 5;

function readLines(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
}

/**
 * Median lines/s over RUNS timed passes after one warm-up pass, by the wall clock and by this process's CPU time
 * (the fairer figure on a shared machine); `makePass` gives each pass fresh state.
 */
function throughput(lines: readonly string[], makePass: () => (line: string) => unknown): Record<string, number> {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let run = 0; run <= RUNS; run++) {
    const pass = makePass();
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (const line of lines) pass(line);
    const c = process.cpuUsage(c0);
    if (run === 0) continue;
    wall.push(performance.now() - t0);
    cpu.push((c.user + c.system) / 1000);
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const perSecond = (ms: number) => Math.round((lines.length / ms) * 1000);
  return {
    lines_per_s: perSecond(median(wall)),
    lines_per_cpu_s: perSecond(median(cpu)),
    cpu_ns_per_line: Math.round((median(cpu) * 1e6) / lines.length),
  };
}

function trainedDrain(parser: LineParser, lines: readonly string[]): Drain {
  const drain = new Drain();
  for (const line of lines) drain.add(parser.parse(line).message);
  return drain;
}

function mining(label: string, format: 'apache' | 'hdfs', lines: readonly string[]): Record<string, unknown>[] {
  process.stderr.write(`${label}: ${lines.length} lines\n`);
  const parser = createParser(format);
  const parse = throughput(lines, () => (line) => parser.parse(line));
  const learn = throughput(lines, () => {
    const drain = new Drain();
    return (line) => drain.add(parser.parse(line).message);
  });
  const trained = trainedDrain(parser, lines);
  const match = throughput(lines, () => (line) => trained.match(parser.parse(line).message));
  const templates = trained.templates().length;
  return [
    { name: `parse ${label}`, lines: lines.length, ...parse },
    { name: `parse + Drain.add ${label}`, lines: lines.length, ...learn, templates },
    { name: `parse + Drain.match ${label}`, lines: lines.length, ...match, templates },
  ];
}

if (!existsSync(ACCESS_LOG)) {
  mkdirSync('bench/.cache', { recursive: true });
  process.stderr.write(`generating ${ACCESS_LOG}\n`);
  const made = spawnSync('python3', ['../shared/bench/make_access_log.py', '200000', ACCESS_LOG], { stdio: 'inherit' });
  if (made.status !== 0) throw new Error(`make_access_log.py failed (${made.status})`);
}

const original = loghubAccuracy(`${HDFS_DIR}/HDFS_2k.log`, `${HDFS_DIR}/HDFS_2k.log_structured.csv`);
const corrected = loghubAccuracy(
  `${HDFS_DIR}/HDFS_2k.log`,
  '../shared/datasets/hdfs_2k_corrected/HDFS_2k.log_structured_corrected.csv',
);
const hdfsLines = readLines(`${HDFS_DIR}/HDFS_2k.log`);
const rows: Record<string, unknown>[] = [
  {
    name: 'Drain GA HDFS_2k (loghub truth)',
    ga: original.accuracy,
    templates: original.templates,
    truth_templates: original.truthTemplates,
    published_drain_ga: 0.998,
  },
  {
    name: 'Drain GA HDFS_2k (corrected truth)',
    ga: corrected.accuracy,
    templates: corrected.templates,
    truth_templates: corrected.truthTemplates,
  },
  ...mining('apache (make_access_log.py 200k)', 'apache', readLines(ACCESS_LOG)),
  ...mining(`HDFS (HDFS_2k x${HDFS_REPEAT})`, 'hdfs', Array.from({ length: HDFS_REPEAT }, () => hdfsLines).flat()),
];
process.stderr.write(`load average at the end: ${loadavg()[0].toFixed(1)}\n`);
console.log(JSON.stringify({ section: 'Parsing and Drain templates', rows }));
