import { ProgressBar, validateFlags } from '@anomalog/cli-kit';
import { z } from 'zod';
import { augmentHdfs, HDFS_SAMPLE } from '../hdfs/augment.js';
import type { HdfsSummary } from '../hdfs/dataset.js';
import { simulateHdfs } from '../hdfs/simulate.js';
import { ensureWritableDir, flag, readFlags } from './flags.js';
import { printSummary } from './summary.js';

const OUTPUTS = `Writes into DIR: HDFS.log, anomaly_label.csv (BlockId,Label with Normal/Anomaly, as loghub),
train_blocks.txt (the first --train-fraction of normal blocks, in order of appearance) and
test_blocks.txt (every other block, normal and anomalous).`;

export const AUGMENT_HELP = `anomalog-generate hdfs-augment: grow an HDFS sample into a large labelled set

  anomalog-generate hdfs-augment --out DIR [--input FILE] [--variations N] [options]

Each variation copies every input line with new block ids (one per block, so sessions stay whole), new IPs
and sizes, timestamps shifted past the previous copy, level variations, and session-level anomalies injected
into a share of the blocks (missing replication step, exception, out-of-order events, extra deletes).
${OUTPUTS}

Options:
  --input FILE           HDFS log (default: the shipped HDFS_2k.log sample, loghub licence)
  --labels FILE          loghub anomaly_label.csv for the input (default: <input>.anomaly_label.csv if present)
  --variations N         copies of the input (default 10)
  --out DIR              output directory
  --anomaly-rate R       share of normal blocks given an injected anomaly (default 0.03)
  --seed N               same seed, same output (default 1)
  --train-fraction F     share of normal blocks in the training list (default 0.8)
  -h, --help             this help
`;

export const SIMULATE_HELP = `anomalog-generate hdfs-simulate: HDFS block lifecycles from a state machine over the 30 HDFS templates

  anomalog-generate hdfs-simulate --blocks N --out DIR [options]

Each block is allocated, written through a pipeline of replicas, stored, read, sometimes re-replicated and
finally deleted; blocks interleave in time. A share of blocks get an injected anomaly.
${OUTPUTS}

Options:
  --blocks N             blocks to simulate
  --out DIR              output directory
  --anomaly-rate R       share of blocks with an injected anomaly (default 0.03)
  --seed N               same seed, same output (default 1)
  --train-fraction F     share of normal blocks in the training list (default 0.8)
  --rate R               new blocks per second of log time (default 2)
  -h, --help             this help
`;

const Common = {
  out: z.string({ message: 'required: the output directory' }).min(1),
  anomalyRate: flag.rate().default(0.03),
  seed: flag.seed().default(1),
  trainFraction: flag.rate().default(0.8),
};

export async function augmentCommand(argv: string[]): Promise<void> {
  const raw = readFlags(
    argv,
    {
      input: { value: true },
      labels: { value: true },
      variations: { value: true },
      out: { value: true },
      'anomaly-rate': { value: true },
      seed: { value: true },
      'train-fraction': { value: true },
    },
    'hdfs-augment',
  );
  if (raw.help) return void process.stdout.write(AUGMENT_HELP);
  const f = validateFlags(
    z.object({
      ...Common,
      input: z.string().default(HDFS_SAMPLE),
      labels: z.string().optional(),
      variations: flag.count().default(10),
    }),
    { ...raw, anomalyRate: raw['anomaly-rate'], trainFraction: raw['train-fraction'] },
  );
  ensureWritableDir(f.out);
  const bar = new ProgressBar('hdfs-augment', { unit: 'variations' });
  const summary = augmentHdfs({ ...f, onProgress: (done, total) => bar.update(done, total) });
  bar.done();
  report('HDFS augmented', summary);
}

export async function simulateCommand(argv: string[]): Promise<void> {
  const raw = readFlags(
    argv,
    {
      blocks: { value: true },
      out: { value: true },
      'anomaly-rate': { value: true },
      seed: { value: true },
      'train-fraction': { value: true },
      rate: { value: true },
    },
    'hdfs-simulate',
  );
  if (raw.help) return void process.stdout.write(SIMULATE_HELP);
  const f = validateFlags(z.object({ ...Common, blocks: flag.count(), rate: flag.positive().default(2) }), {
    ...raw,
    anomalyRate: raw['anomaly-rate'],
    trainFraction: raw['train-fraction'],
  });
  ensureWritableDir(f.out);
  const bar = new ProgressBar('hdfs-simulate', { unit: 'blocks' });
  const summary = simulateHdfs({ ...f, blocksPerSecond: f.rate, onProgress: (done, total) => bar.update(done, total) });
  bar.done();
  report('HDFS simulated', summary);
}

function report(title: string, s: HdfsSummary): void {
  printSummary(
    title,
    [
      ['lines', s.lines],
      ['blocks', s.blocks],
      ['anomalous blocks', s.anomalies],
    ],
    s.byKind,
    s.files,
    'anomalous blocks by cause',
  );
}
