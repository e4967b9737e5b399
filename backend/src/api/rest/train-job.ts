import { emptySeverityCounts } from '@anomalog/contract';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { parseModel, type Model } from '../../models/index.js';
import { createScorer, type TrainProgress } from '../../pipeline/index.js';
import type { DetectorKind, Severity } from '../../types.js';
import type { AppContext } from '../../service/context.js';
import type { FeedbackRecord } from '../../service/feedback.js';
import type { ReportProgress } from './jobs.js';
import { workerEntry } from '../../workers.js';

/** Every HOLDOUT_EVERY-th line is kept out of training and scored to validate the new model. */
const HOLDOUT_EVERY = 10;
const MIN_HOLDOUT = 20;
/** A false-positive line is added this many times to the training lines, so the model learns it as normal. */
const FALSE_POSITIVE_WEIGHT = 20;

export interface TrainRequest {
  name: string;
  detector?: DetectorKind;
  seed: number;
  /** Largest share of held-out lines allowed at medium or above. */
  maxAnomalyRate: number;
  /** The stream the model is for: feedback whose labels include these is applied. */
  labels: Record<string, string>;
  source: string;
}

export interface Validation {
  heldOutLines: number;
  bySeverity: Record<Severity, number>;
  anomalyRate: number;
  maxAnomalyRate: number;
  passed: boolean;
  reason: string;
}

/** What the API knows of a model beyond its file: how it was validated and which feedback it was trained with. */
export interface ModelQuality {
  validatedAt: string;
  validation: Validation;
  feedback: { excludedConfirmed: number; addedFalsePositives: number };
}

/** One card per model version (name + creation time), so a rollback finds the card of the version it restores. */
const qualityPath = (modelsDir: string, model: Model) =>
  join(modelsDir, 'cards', `${model.name}@${model.createdAt.replace(/[^0-9A-Za-z]/g, '')}.json`);

export async function readQuality(modelsDir: string, model: Model): Promise<ModelQuality | undefined> {
  try {
    return JSON.parse(await readFile(qualityPath(modelsDir, model), 'utf8')) as ModelQuality;
  } catch {
    return undefined;
  }
}

/** Scores held-out lines: every score must be a number in [0, 1] and few may reach medium. */
export function validateModel(model: Model, heldOut: readonly string[], req: TrainRequest): Validation {
  const bySeverity = emptySeverityCounts();
  const scorer = createScorer(model, { labels: req.labels, detector: req.detector });
  let bad = 0;
  const count = (records: ReturnType<typeof scorer.end>) => {
    for (const r of records) {
      if (!(r.score >= 0 && r.score <= 1)) bad++;
      bySeverity[r.severity]++;
    }
  };
  count(scorer.pushBatch(heldOut));
  count(scorer.end());
  const scored = Object.values(bySeverity).reduce((a, b) => a + b, 0);
  const anomalyRate = scored ? (bySeverity.medium + bySeverity.high + bySeverity.critical) / scored : 0;
  const percent = (share: number) => `${(share * 100).toFixed(2)}%`;
  const reason =
    heldOut.length < MIN_HOLDOUT
      ? `only ${heldOut.length} held-out lines; need ${MIN_HOLDOUT} (train on at least ${MIN_HOLDOUT * HOLDOUT_EVERY} lines)`
      : bad > 0
        ? `${bad} scores outside [0, 1]`
        : anomalyRate > req.maxAnomalyRate
          ? `${percent(anomalyRate)} of held-out lines reach medium; at most ${percent(req.maxAnomalyRate)} allowed`
          : 'ok';
  const { maxAnomalyRate } = req;
  return { heldOutLines: heldOut.length, bySeverity, anomalyRate, maxAnomalyRate, passed: reason === 'ok', reason };
}

/** Training lines with the feedback applied: confirmed anomalies left out, false positives added as normal. */
export function applyFeedback(lines: readonly string[], feedback: readonly FeedbackRecord[]) {
  const confirmed = new Set(feedback.filter((f) => f.kind === 'confirm' && f.line).map((f) => f.line));
  const kept = lines.filter((l) => !confirmed.has(l));
  const falsePositives = feedback.filter((f) => f.kind === 'false_positive' && f.line).map((f) => f.line as string);
  for (const line of falsePositives) for (let i = 0; i < FALSE_POSITIVE_WEIGHT; i++) kept.push(line);
  return {
    lines: kept,
    excludedConfirmed: lines.length - (kept.length - falsePositives.length * FALSE_POSITIVE_WEIGHT),
    addedFalsePositives: falsePositives.length,
  };
}

export function progressOf(p: TrainProgress): [number, string] {
  switch (p.phase) {
    case 'read':
      return [0.3, `read ${p.lines} lines`];
    case 'fit':
      return [0.4, `fitting ${p.member}`];
    case 'autoencoder': {
      const { epoch, epochs } = p.progress;
      return [0.4 + 0.45 * (epoch / Math.max(1, epochs)), `autoencoder epoch ${epoch}/${epochs}`];
    }
  }
}

/** What runTraining sends the training thread (train-worker.ts). */
export interface TrainerIn {
  /** The lines joined by NUL: one string crosses to the thread as one copy, not 100,000 of them. */
  lines: string;
  /** Held-out lines and the request to validate the model with; no validation without `req` (an upload's model). */
  heldOut: string;
  req?: TrainRequest;
  opts: { name: string; detector?: DetectorKind; seed?: number; source?: string };
}

export type TrainerOut =
  | { kind: 'progress'; progress: TrainProgress }
  | { kind: 'done'; model: string; validation?: Validation }
  | { kind: 'failed'; error: string };

/**
 * Trains (and validates, given `input.req`) in a worker thread (train-worker.ts): training takes seconds of CPU,
 * which on the main thread would stall every request meanwhile.
 */
export function trainInThread(
  input: TrainerIn,
  onProgress: (p: TrainProgress) => void,
): Promise<{ model: Model; text: string; validation?: Validation }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerEntry(import.meta.url, 'train-worker'), { eval: true });
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
      void worker.terminate();
    };
    worker.on('message', (m: TrainerOut) => {
      if (m.kind === 'progress') onProgress(m.progress);
      else if (m.kind === 'done')
        settle(() => resolve({ model: parseModel(m.model), text: m.model, validation: m.validation }));
      else settle(() => reject(new Error(m.error)));
    });
    worker.on('error', (err) => settle(() => reject(err)));
    worker.on('exit', (code) => settle(() => reject(new Error(`the training thread stopped (exit ${code})`))));
    worker.postMessage(input);
  });
}

/**
 * Trains `req.name` on `lines`, validates it on held-out lines and installs it only if validation passes; the model
 * it replaces stays in models/previous/ for rollback.
 */
export async function runTraining(
  ctx: AppContext,
  lines: readonly string[],
  req: TrainRequest,
  report: ReportProgress,
) {
  const trainLines: string[] = [];
  const heldOut: string[] = [];
  lines.forEach((line, i) => (i % HOLDOUT_EVERY === HOLDOUT_EVERY - 1 ? heldOut : trainLines).push(line));
  const ofStream = (f: FeedbackRecord) => Object.entries(req.labels).every(([k, v]) => f.labels[k] === v);
  const fed = applyFeedback(trainLines, ctx.models.feedback.kept().filter(ofStream));
  report(0.1, `training on ${fed.lines.length} lines`);
  const { model, text, validation } = await trainInThread(
    {
      lines: fed.lines.join('\u0000'),
      heldOut: heldOut.join('\u0000'),
      req,
      opts: { name: req.name, detector: req.detector, seed: req.seed, source: req.source },
    },
    (p) => report(...progressOf(p)),
  );
  if (!validation?.passed) throw new Error(`validation failed, model not installed: ${validation?.reason}`);
  await ctx.models.install(req.name, model, text);
  const quality: ModelQuality = {
    validatedAt: new Date().toISOString(),
    validation,
    feedback: { excludedConfirmed: fed.excludedConfirmed, addedFalsePositives: fed.addedFalsePositives },
  };
  const dir = ctx.config.models.dir;
  await mkdir(join(dir, 'cards'), { recursive: true });
  await writeFile(qualityPath(dir, model), JSON.stringify(quality, null, 2));
  return { model: req.name, trainedLines: fed.lines.length, ...quality };
}
