import type { AnomalyField } from '@anomalog/contract';
import { anomalyFields, learningFields } from '../logql/ast.js';
import { HeadQueue } from '../head-queue.js';
import { createParser, type LineParser } from '../parsing/index.js';
import type { Model } from '../models/index.js';
import type { BatchScorer } from '../pipeline/index.js';
import type { Labels } from '../stream.js';
import type { DetectorKind, FormatName, ScoredLine } from '../types.js';
import type { AppContext } from './context.js';
import type { StreamItem, StreamResult } from './types.js';

/** A result's fields on the Loki API: the anomaly fields, or the `learning` ones while the model is learned. */
export function resultFields(r: StreamResult<StreamItem>): Partial<Record<AnomalyField, string>> {
  return r.scored ? anomalyFields(r.scored) : learningFields(r.learning ?? '');
}

/**
 * Lines per pushBatch, adapted so that a batch takes about BATCH_MS: big batches suit the detectors' matrix path (the
 * ensemble scored 33k lines/s in batches of 128 and 53k in batches of 1,024 here), but a batch runs without a yield,
 * and on a loaded machine 512 ensemble lines held the event loop 170 ms.
 */
const BATCH_MS = 10;
const MIN_BATCH = 32;
const MAX_BATCH = 1_024;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The scoring loop of one stream, shared by the watcher and the Loki query index: lines go through the model's batch
 * path (`pushBatch`), each line's timestamp is the one the scorer parsed (a line without one, such as a stack trace's
 * continuation, takes the previous line's, else `fallback`), and every result is paired with the item it came from:
 * the scorer returns lines in input order, perhaps later (open sessions), so a FIFO of the items pushed pairs them.
 * Verdicts are the model's own: whoever shows or sends a line applies the feedback in effect then (the watcher as it
 * delivers, the Loki API as it reads rows), so one scoring serves both.
 *
 * The model is looked up at every call: a model installed since (trained, learned, rolled back) takes over from the
 * next line, after the lines the old one still held come back (the query index, which keeps rows, re-scores its file
 * instead). A stream no model covers yet is in warm-up when per-stream learning is on: its lines come back unscored,
 * marked `learning`, and the learner is told.
 */
export class StreamScorer<T extends StreamItem> {
  private scorer?: BatchScorer;
  private model?: Model;
  /**
   * Items pushed, until their lines come back. Items returned are let go (and their lines with them) once 512 came
   * back, whatever open sessions still hold: a queue cut only once 4,096 had come back held up to 4 million lines over
   * 1,000 streams.
   */
  private readonly queue = new HeadQueue<T>(512, true);
  private batchLines = 128;
  private sliceStart = performance.now();
  private last?: number;
  private learning?: string;
  private timeParser?: LineParser;
  /** The stream's first lines, to detect its format. */
  private sample?: string[];

  constructor(
    private readonly ctx: AppContext,
    readonly labels: Labels,
    private readonly opts: {
      detector?: DetectorKind;
      /** What the clock falls back on for a line without a time before any line with one. */
      fallback: () => number;
      sliceMs?: number;
      /** The stream's configured format (to read times while the model is learned). */
      format?: FormatName | 'auto';
      pattern?: string;
    },
  ) {}

  /**
   * Looks the stream's model up (undefined while learning; NoModelError when none can score it). When it changed, the
   * lines the old model's scorer still held (open sessions) are scored to the end into `out` first.
   */
  private current(out: StreamResult<T>[]): Model | undefined {
    const { model, learned } = this.ctx.models.resolve(this.labels, this.opts.detector);
    const reason = learned && this.ctx.learner.want(learned); // a learned model is followed for retraining
    this.learning = model ? undefined : reason;
    if (model !== this.model) {
      out.push(...this.end());
      this.model = model;
      this.scorer = model && this.ctx.models.scorerFor(this.labels, this.opts.detector, undefined, { feedback: false });
      this.queue.clear();
    }
    return model;
  }

  /** Scores `items` in order; yields to the event loop between batches once `sliceMs` of work went by. */
  async score(items: readonly T[]): Promise<StreamResult<T>[]> {
    const out: StreamResult<T>[] = [];
    if (!this.sample) {
      this.sample = items.slice(0, 20).map((i) => i.line);
      this.ctx.models.noteSample(this.labels, this.sample);
    }
    if (!this.current(out)) {
      const learning = this.learning;
      for (const item of items) out.push({ item, ms: this.clock(item, undefined), learning });
      return out;
    }
    const slice = this.opts.sliceMs ?? 4;
    const lines: string[] = [];
    const known: (number | undefined)[] = [];
    for (let at = 0; at < items.length;) {
      const batch = items.slice(at, (at += this.batchLines));
      lines.length = known.length = 0;
      let anyKnown = false;
      for (const item of batch) {
        lines.push(item.line);
        known.push(item.ms);
        anyKnown ||= item.ms !== undefined;
        this.queue.push(item);
      }
      const started = performance.now();
      this.pair(this.scorer!.pushBatch(lines, anyKnown ? known : undefined), out);
      const took = performance.now() - started;
      if (batch.length === this.batchLines) {
        const fit = (this.batchLines * BATCH_MS) / Math.max(took, 0.1);
        this.batchLines = Math.round(Math.min(MAX_BATCH, Math.max(MIN_BATCH, (this.batchLines + fit) / 2)));
      }
      // The slice runs on from call to call: a caller scoring many small pieces (the query index) yields too.
      if (performance.now() - this.sliceStart > slice) {
        await yieldToLoop();
        this.sliceStart = performance.now();
      }
    }
    return out;
  }

  /** Closes open sessions: every line still held comes back. */
  end(): StreamResult<T>[] {
    const out: StreamResult<T>[] = [];
    if (this.scorer) this.pair(this.scorer.end(), out);
    return out;
  }

  /** Every line held for bursts comes back, marked as far as known; the counts go on (see Scorer.flush). */
  flush(): StreamResult<T>[] {
    const out: StreamResult<T>[] = [];
    if (this.scorer) this.pair(this.scorer.flush(), out);
    return out;
  }

  /** How many items pushed the scorer still holds (open sessions, an open minute). */
  get holding(): number {
    return this.queue.length;
  }

  /** Items pushed whose lines the scorer still holds, oldest first (not copied: the watcher asks every cycle). */
  *held(): IterableIterator<T> {
    yield* this.queue;
  }

  private pair(lines: readonly ScoredLine[], out: StreamResult<T>[]) {
    for (const scored of lines) {
      const item = this.queue.shift();
      // The scorer's ts is the item's when the source gave one, else the parsed one (0 when the line has none).
      const ms = this.clock(item, typeof scored.ts === 'number' && scored.ts > 0 ? scored.ts : undefined);
      out.push({ item, ms, scored, model: this.model });
    }
  }

  /**
   * The item's time: the source's, else the one the scorer parsed, else (no model yet, or a model of another format
   * than the stream's) the one a parser of the stream's own format reads; else the previous line's.
   */
  private clock(item: T, parsed: number | undefined): number {
    let ms = item.ms ?? parsed;
    if (ms === undefined) {
      this.timeParser ??= createParser(this.opts.format ?? 'auto', { sample: this.sample, pattern: this.opts.pattern });
      ms = this.timeParser.parse(item.line).ts;
    }
    if (ms !== undefined && Number.isFinite(ms)) this.last = ms;
    return this.last ?? this.opts.fallback();
  }
}
