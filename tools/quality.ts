import type { Model } from '../backend/src/models/index.js';
import { createScorer } from '../backend/src/pipeline/index.js';
import type { DetectorKind, ScoredLine } from '../backend/src/types.js';

/** Precision, recall and F1 of the anomaly flag against ground-truth labels ("normal" or a scenario name). */
export interface Quality {
  lines: number;
  precision: number;
  recall: number;
  f1: number;
  /** Per label: lines, lines flagged (for "normal", the false positives). */
  byLabel: Record<string, { lines: number; flagged: number }>;
}

/** Scores labelled lines (labels[i] belongs to the i-th line) and compares the anomaly flag with the labels. */
export async function lineQuality(
  model: Model,
  batches: AsyncIterable<readonly string[]>,
  labels: readonly string[],
  detector?: DetectorKind,
): Promise<Quality> {
  const flags = await anomalyFlags(model, batches, detector);
  const byLabel: Quality['byLabel'] = {};
  let tp = 0;
  let fp = 0;
  let fn = 0;
  flags.forEach((flagged, i) => {
    const label = labels[i] ?? 'normal';
    const entry = (byLabel[label] ??= { lines: 0, flagged: 0 });
    entry.lines++;
    if (flagged) entry.flagged++;
    const anomalous = label !== 'normal';
    if (flagged && anomalous) tp++;
    else if (flagged) fp++;
    else if (anomalous) fn++;
  });
  return { lines: flags.length, ...prf(tp, fp, fn), byLabel };
}

/** The anomaly flag of every line, in input order. */
export async function anomalyFlags(
  model: Model,
  batches: AsyncIterable<readonly string[]>,
  detector?: DetectorKind,
): Promise<boolean[]> {
  const scorer = createScorer(model, { detector });
  const flags: boolean[] = [];
  const take = (lines: ScoredLine[]) => {
    for (const s of lines) flags.push(s.anomaly);
  };
  for await (const batch of batches) take(scorer.pushBatch(batch));
  take(scorer.end());
  return flags;
}

export function prf(tp: number, fp: number, fn: number): { precision: number; recall: number; f1: number } {
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision: round(precision), recall: round(recall), f1: round(f1) };
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}
