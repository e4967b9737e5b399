/**
 * Detection quality on the generator's labelled traffic: train on normal traffic (seed 1, --anomaly-rate 0), score
 * a labelled file (seed 2, default 2% incidents) at the default threshold (anomaly = severity low or above), and
 * report recall per scenario and precision, recall and F1 overall. Target: F1 >= 0.95. EVAL_SEED scores another
 * labelled file: the incidents drawn differ from seed to seed, and so does the recall of the rarer scenarios.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openInput } from '../backend/src/cli/input.js';
import { lineQuality } from '../tools/quality.js';
import { trainBatches } from '../backend/src/pipeline/index.js';
import type { DetectorKind } from '../backend/src/types.js';
import { CACHE, ROOT } from './cli-run.js';

const TRAIN_LINES = Number(process.env.TRAIN_LINES ?? 200_000);
const EVAL_LINES = Number(process.env.EVAL_LINES ?? 200_000);
const DETECTORS = (process.env.DETECTORS ?? 'iforest,ensemble').split(',') as DetectorKind[];
const EVAL_SEED = process.env.EVAL_SEED ?? '2';

function generate(name: string, lines: number, extra: string[]): string {
  const out = join(CACHE, name);
  if (!existsSync(`${out}.labels.jsonl`)) {
    process.stderr.write(`generating ${out}\n`);
    execFileSync(
      process.execPath,
      [join(ROOT, 'generator/bin/anomalog-generate.js'), 'traffic', '--lines', String(lines), '--out', out, ...extra],
      { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
    );
  }
  return out;
}

const trainFile = generate(`gen-normal-${TRAIN_LINES}.log`, TRAIN_LINES, ['--seed', '1', '--anomaly-rate', '0']);
const evalFile = generate(`gen-eval-${EVAL_LINES}${EVAL_SEED === '2' ? '' : `-seed${EVAL_SEED}`}.log`, EVAL_LINES, [
  '--seed',
  EVAL_SEED,
]);
const labels = readFileSync(`${evalFile}.labels.jsonl`, 'utf8')
  .trimEnd()
  .split('\n')
  .map((l) => (JSON.parse(l) as { label: string }).label);

const rows: Record<string, string | number>[] = [];
for (const detector of DETECTORS) {
  process.stderr.write(`train ${detector}\n`);
  const model = await trainBatches((await openInput(trainFile)).batches(), {
    detector: detector === 'ensemble' ? 'ensemble' : detector,
    seed: 1,
    name: 'web',
  });
  process.stderr.write(`score ${detector}\n`);
  const q = await lineQuality(model, (await openInput(evalFile)).batches(), labels, detector);
  const row: Record<string, string | number> = {
    name: detector,
    lines: q.lines,
    precision: q.precision,
    recall: q.recall,
    f1: q.f1,
  };
  for (const [label, e] of Object.entries(q.byLabel).sort()) {
    row[label === 'normal' ? 'normal_false_positive_rate' : `recall_${label}`] =
      Math.round((e.flagged / e.lines) * 1000) / 1000;
  }
  rows.push(row);
}

console.log(
  JSON.stringify({ section: 'generator ground truth: quality at the default threshold (target F1 >= 0.95)', rows }),
);
