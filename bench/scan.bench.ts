/**
 * `anomalog scan` throughput and peak RSS on a 1,000,000-line access log, training on its first 100,000 lines (as the
 * peer fits on its first 100,000), measured in the same run as the seeds' Python pipeline
 * (../shared/bench/seedlike_access_peer.py). `load_1m` is the load average when a run started: the machine has 2
 * cores, so compare runs made at a similar load.
 */
import { accessLog, round, timeAnomalog, timeCommand } from './cli-run.js';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './cli-run.js';

const LINES = 1_000_000;
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

const runs: [string, string[]][] = [
  ['scan --json, trains on the file (ensemble, default)', ['scan', file, '--json']],
  ['scan summary, trains on the file (ensemble, default)', ['scan', file]],
  ['scan --json, trains on the file (--detector iforest)', ['scan', file, '--json', '--detector', 'iforest']],
  [
    'scan --json, trains on the file (--detector iforest --threads 1)',
    ['scan', file, '--json', '--detector', 'iforest', '--threads', '1'],
  ],
];
for (const [name, args] of runs) {
  process.stderr.write(`${name}\n`);
  const load = loadavg()[0];
  const t = await timeAnomalog(args);
  const rate = LINES / t.seconds;
  rows.push({
    name,
    lines: LINES,
    seconds: round(t.seconds),
    lines_per_s: Math.round(rate),
    peak_rss_mb: t.peakRssMb,
    x_peer: round(rate / peerRate, 2),
    load_1m: round(load),
  });
}

console.log(
  JSON.stringify({ section: 'anomalog scan on a 1M-line access log (targets: >= 10x peer, peak RSS < 300 MB)', rows }),
);
