import { emptySeverityCounts } from '@anomalog/contract';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { parseModel, type Model } from '../models/index.js';
import { createScorer, type TrainOptions, type TrainProgress } from '../pipeline/index.js';
import type { DetectorKind, Severity } from '../types.js';
import type { Config } from '../config/index.js';
import type { ModelRegistry } from './registry.js';
import type { FeedbackRecord } from './feedback.js';
import { workerEntry } from '../workers.js';
import { writeDurable } from '../durable.js';

/** How a training reports its progress (0..1) and phase: the REST job's status, or nothing for a learned model. */
export type ReportProgress = (progress: number, phase: string) => void;

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
  /** The Isolation Forest's size, when not the default (learned models are smaller). */
  forest?: { trees: number; sampleSize: number };
}

/** The model card of a model learned by itself for a stream (service/learning.ts): what it learned from, and why. */
export interface LearnedFrom {
  /** The selector of the streams it scores (the group, e.g. `{job="app"}`). */
  streams: string;
  lines: number;
  format: string;
  seed: number;
  at: string;
  why: 'warm-up' | 'schedule' | 'drift';
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
  learned?: LearnedFrom;
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
  opts: Pick<TrainOptions, 'name' | 'detector' | 'seed' | 'source' | 'forest'>;
}

export type TrainerOut =
  | { kind: 'progress'; progress: TrainProgress }
  | { kind: 'done'; model: string; validation?: Validation }
  | { kind: 'failed'; error: string };

interface TrainResult {
  model: Model;
  text: string;
  /** Absent when the input had no `req` to validate with. */
  validation?: Validation;
}

/**
 * A worker thread that trains and validates (train-worker.ts), one job at a time: training takes seconds of CPU,
 * which on the main thread would stall every request meanwhile. The thread is started on the first job and kept for
 * the next ones (starting one costs about a second under tsx, which per-stream learning of many streams would pay
 * per stream); it does not keep the process alive.
 */
export class TrainingThread {
  private worker?: Worker;
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * Queues a job. `input` may be a function that gathers the job's lines: it is called only when the thread is free,
   * so jobs waiting their turn do not each hold their lines (an upload learns from up to 64 MiB of text).
   */
  run(
    input: TrainerIn | (() => Promise<TrainerIn>),
    onProgress: (p: TrainProgress) => void = () => undefined,
  ): Promise<TrainResult> {
    const job = this.queue.then(async () => this.once(typeof input === 'function' ? await input() : input, onProgress));
    this.queue = job.catch(() => undefined);
    return job;
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = undefined;
  }

  private once(input: TrainerIn, onProgress: (p: TrainProgress) => void): Promise<TrainResult> {
    return new Promise((resolve, reject) => {
      if (!this.worker) {
        this.worker = new Worker(workerEntry(import.meta.url, 'train-worker'), { eval: true });
        this.worker.unref();
      }
      const worker = this.worker;
      const done = (fn: () => void) => {
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
        fn();
      };
      const onMessage = (m: TrainerOut) => {
        if (m.kind === 'progress') onProgress(m.progress);
        else if (m.kind === 'done')
          done(() => resolve({ model: parseModel(m.model), text: m.model, validation: m.validation }));
        else done(() => reject(new Error(m.error)));
      };
      const onError = (err: Error) => {
        this.worker = undefined;
        done(() => reject(err));
      };
      const onExit = (code: number) => {
        this.worker = undefined;
        done(() => reject(new Error(`the training thread stopped (exit ${code})`)));
      };
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
      worker.postMessage(input);
    });
  }
}

/**
 * Trains `req.name` on `lines`, validates it on held-out lines and installs it only if validation passes; the model
 * it replaces stays in models/previous/ for rollback. `thread` is the training thread to use (default: one for this
 * training alone).
 */
export async function runTraining(
  ctx: { config: Config; models: ModelRegistry },
  lines: readonly string[],
  req: TrainRequest,
  report: ReportProgress,
  extra: { thread?: TrainingThread; learned?: LearnedFrom } = {},
) {
  const trainLines: string[] = [];
  const heldOut: string[] = [];
  lines.forEach((line, i) => (i % HOLDOUT_EVERY === HOLDOUT_EVERY - 1 ? heldOut : trainLines).push(line));
  const ofStream = (f: FeedbackRecord) => Object.entries(req.labels).every(([k, v]) => f.labels[k] === v);
  const fed = applyFeedback(trainLines, ctx.models.feedback.kept().filter(ofStream));
  report(0.1, `training on ${fed.lines.length} lines`);
  const thread = extra.thread ?? new TrainingThread();
  let result: TrainResult;
  try {
    result = await thread.run(
      {
        lines: fed.lines.join('\u0000'),
        heldOut: heldOut.join('\u0000'),
        req,
        opts: { name: req.name, detector: req.detector, seed: req.seed, source: req.source, forest: req.forest },
      },
      (p) => report(...progressOf(p)),
    );
  } finally {
    if (!extra.thread) await thread.close();
  }
  const { model, text, validation } = result;
  if (!validation?.passed) throw new Error(`validation failed, model not installed: ${validation?.reason}`);
  const quality: ModelQuality = {
    validatedAt: new Date().toISOString(),
    validation,
    feedback: { excludedConfirmed: fed.excludedConfirmed, addedFalsePositives: fed.addedFalsePositives },
    learned: extra.learned && { ...extra.learned, format: model.format },
  };
  // The card first: a model never lacks its card (a crash between the two leaves a card of a model not installed).
  await writeDurable(qualityPath(ctx.config.models.dir, model), JSON.stringify(quality, null, 2));
  await ctx.models.install(req.name, model, text);
  return { model: req.name, trainedLines: fed.lines.length, ...quality };
}
