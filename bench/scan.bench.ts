/**
 * `anomalog scan` throughput and peak RSS on a 1,000,000-line access log, training on its first 100,000 lines (as the
 * peer fits on its first 100,000), measured in the same run as the seeds' Python pipeline
 * (../shared/bench/seedlike_access_peer.py). `load_1m` is the load average when a run started: the machine has 2
 * cores, so compare runs made at a similar load. Scans learn as a first scan of the file does, except the repeated
 * scan's row, which loads the model an earlier scan of the same lines kept (cli/model-cache.ts).
 */
import { accessLog, round, timeAnomalog, timeCommand, type Timed } from './cli-run.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './cli-run.js';

const LINES = 1_000_000;
/**
 * Runs of each scan: the median is reported (with every run's seconds), the peak RSS is the highest. On this 2-core VM
 * one run of the default scan took 3.0-4.5 s within the same hour (7 Dec 2026); the peer runs 30 s and evens out.
 */
const RUNS = 3;
const file = accessLog(LINES);
const rows: Record<string, string | number>[] = [];

process.stderr.write('peer: seedlike_access_peer.py\n');
const peer = await timeCommand(
  '/usr/bin/time',
  ['-v', '/usr/bin/python3', join(ROOT, '..', 'shared', 'bench', 'seedlike_access_peer.py'), file],
  'pipe',
);
const peerRate = Number(/lines_per_s=(\d+)/.exec(peer.stdout)?.[1] ?? NaN);
rows.push({
  name: 'peer: seedlike_access_peer.py (sklearn IF, fit on 100k)',
  lines: LINES,
  seconds: round(peer.seconds),
  lines_per_s: peerRate,
  peak_rss_mb: peer.peakRssMb,
  x_peer: 1,
  load_1m: round(loadavg()[0]),
});

/** A repeated scan's model cache: primed by one scan before the timed runs. */
const kept = mkdtempSync(join(tmpdir(), 'anomalog-bench-models-'));
const runs: [string, string[], string?][] = [
  ['scan --json, trains on the file (ensemble, default; a first scan)', ['scan', file, '--json']],
  [
    'scan --json, model kept from an earlier scan of the file (ensemble, default; a repeated scan)',
    ['scan', file, '--json'],
    kept,
  ],
  ['scan summary, trains on the file (ensemble, default)', ['scan', file]],
  ['scan --json, trains on the file (--detector iforest)', ['scan', file, '--json', '--detector', 'iforest']],
  [
    'scan --json, trains on the file (--detector iforest --threads 1)',
    ['scan', file, '--json', '--detector', 'iforest', '--threads', '1'],
  ],
];
for (const [name, args, modelCache] of runs) {
  process.stderr.write(`${name}\n`);
  if (modelCache) await timeAnomalog(args, '/dev/null', modelCache);
  const load = loadavg()[0];
  const times: Timed[] = [];
  for (let i = 0; i < RUNS; i++) times.push(await timeAnomalog(args, '/dev/null', modelCache));
  const seconds = times.map((t) => t.seconds).sort((a, b) => a - b);
  const median = seconds[RUNS >> 1];
  const rate = LINES / median;
  rows.push({
    name,
    lines: LINES,
    seconds: round(median),
    runs_s: seconds.map((s) => round(s, 2)).join(' '),
    lines_per_s: Math.round(rate),
    peak_rss_mb: Math.max(...times.map((t) => t.peakRssMb)),
    x_peer: round(rate / peerRate, 2),
    load_1m: round(load),
  });
}

rmSync(kept, { recursive: true, force: true });

console.log(
  JSON.stringify({ section: 'anomalog scan on a 1M-line access log (targets: >= 10x peer, peak RSS < 300 MB)', rows }),
);
