/**
 * Training time on 200,000 access-log lines per detector, then `anomalog scan --model` on 1,000,000 lines with the
 * saved model (end to end: read, parse, features, score, --json out). Targets: training < 60 s, scanning with the
 * autoencoder or the ensemble >= 200k lines/s.
 */
import { join } from 'node:path';
import { accessLog, CACHE, round, timeAnomalog } from './cli-run.js';

const TRAIN_LINES = 200_000;
const SCAN_LINES = 1_000_000;
const trainFile = accessLog(TRAIN_LINES);
const scanFile = accessLog(SCAN_LINES);
const rows: Record<string, string | number>[] = [];

for (const detector of ['iforest', 'autoencoder', 'ensemble']) {
  const model = join(CACHE, `speed-${detector}.json`);
  process.stderr.write(`train ${detector}\n`);
  const trained = await timeAnomalog(['train', trainFile, '--out', model, '--detector', detector, '--seed', '1']);
  process.stderr.write(`scan ${detector}\n`);
  const scanned = await timeAnomalog(['scan', scanFile, '--model', model, '--detector', detector, '--json']);
  rows.push({
    name: detector,
    train_lines: TRAIN_LINES,
    train_s: round(trained.seconds),
    train_peak_rss_mb: trained.peakRssMb,
    scan_lines: SCAN_LINES,
    scan_s: round(scanned.seconds),
    scan_lines_per_s: Math.round(SCAN_LINES / scanned.seconds),
    scan_peak_rss_mb: scanned.peakRssMb,
  });
}

console.log(
  JSON.stringify({ section: 'training (200k lines) and scanning with a loaded model (1M lines), per detector', rows }),
);
