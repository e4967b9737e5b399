import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { matchesSelector, type LabelMatcher } from '../logql/selector.js';
import type { Model } from '../models/index.js';
import { modelParser } from '../pipeline/index.js';
import { runtimeOf } from '../pipeline/runtime.js';
import type { SourceSet } from '../sources/index.js';
import type { FileStream } from '../sources/file.js';
import { msToNs } from '../stream.js';
import type { ModelRegistry, LearnedGroup } from './registry.js';
import { runTraining, TrainingThread, type LearnedFrom } from './training.js';

/** Validation holds out every 10th line and needs 20 of them. */
const MIN_LINES = 200;
/** Recent lines read to measure drift (a share measured on 500 lines is within ±4.5% at 95%). */
const DRIFT_LINES = 500;
/** Drift is measured every this many learning intervals (every minute by default). */
const DRIFT_EVERY = 12;
/** Bytes read per line wanted from a file's end (lines longer on average give fewer lines). */
const TAIL_BYTES = 256;
const DAY_MS = 86_400_000;
const READ_BYTES = 1 << 20;

/** One learned model's group of streams, as the learner follows it. */
interface Group extends LearnedGroup {
  selector: LabelMatcher[];
  text: string;
  firstSeen: number;
  /** Lines of the group seen at the last check (during warm-up). */
  lines: number;
  /** Lines needed before the next try (more after a validation failure). */
  need: number;
  /** Lines the last failed warm-up try had: the next needs more, or the same lines would be trained on each tick. */
  tried: number;
  training: boolean;
  /** A learned model's next retraining is not tried before this (ms), after one failed validation. */
  retryAt: number;
  /** Why the last training did not install a model. */
  failed?: string;
  ticks: number;
}

export interface LearningStatus {
  model: string;
  streams: string;
  state: 'warming' | 'training' | 'learned';
  lines: number;
  need: number;
  failed?: string;
}

/**
 * Per-stream learning: a stream that no loaded model covers gets a model of its own, learned from the first lines of
 * its group (the streams sharing its `learning.groupBy` label value). Until then its lines are returned unscored,
 * marked `learning`. Learned models go through the models API's path (training.ts): trained and validated on a
 * worker thread, installed crash-safely with a model card, the one replaced kept for rollback. They are retrained on
 * a schedule (`learning.retrain`) and when drift is seen: more than `learning.drift` of the recent lines with a
 * template the model never saw.
 *
 * The learner reads the lines it learns from from the sources itself (the first lines, or the latest when
 * retraining), so the watcher and the query index only tell it which streams they met.
 */
export class StreamLearner {
  private readonly groups = new Map<string, Group>();
  private readonly thread = new TrainingThread();
  private timer?: NodeJS.Timeout;
  private checking?: Promise<void>;
  private files?: FileStream[];

  constructor(private readonly deps: { config: Config; models: ModelRegistry; sources: SourceSet; log: Logger }) {}

  private get settings() {
    return this.deps.config.learning;
  }

  /**
   * A stream of `group` was met: follows the group from now on. Returns what the stream's lines say while its model
   * is learned (the `anomaly_reason` of a `learning` line).
   */
  want(group: LearnedGroup): string {
    let g = this.groups.get(group.model);
    if (!g) {
      if (this.groups.size >= this.settings.maxModels)
        return `no model learned: learning.maxModels (${this.settings.maxModels}) reached`;
      const text = `{${Object.entries(group.labels)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(', ')}}`;
      g = {
        ...group,
        selector: Object.entries(group.labels).map(([name, value]) => ({ name, op: '=' as const, value })),
        text,
        firstSeen: Date.now(),
        lines: 0,
        need: this.settings.warmupLines,
        training: false,
        retryAt: 0,
        tried: 0,
        // drift checks of many groups spread over the DRIFT_EVERY intervals, not all at once
        ticks: this.groups.size % DRIFT_EVERY,
      };
      this.groups.set(group.model, g);
      this.start();
    }
    if (g.failed) return `learning ${g.model} for ${g.text}: ${g.failed}`;
    return `learning ${g.model} for ${g.text}: ${g.lines} of ${g.need} lines`;
  }

  status(): LearningStatus[] {
    return [...this.groups.values()].map((g) => ({
      model: g.model,
      streams: g.text,
      state: g.training ? 'training' : this.deps.models.get(g.model) ? 'learned' : 'warming',
      lines: g.lines,
      need: g.need,
      failed: g.failed,
    }));
  }

  /** Checks every group now (the timer does so every `learning.interval`); resolves when trainings it started end. */
  check(): Promise<void> {
    this.checking ??= this.checkAll().finally(() => (this.checking = undefined));
    return this.checking;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.checking;
    await this.thread.close();
  }

  private start() {
    if (this.timer) return;
    this.timer = setInterval(() => void this.check(), this.settings.interval);
    this.timer.unref();
    void this.check();
  }

  private async checkAll() {
    // The file source's files, listed once per round: listing expands the globs and stats every file, which done per
    // group cost 1,000 stats a group with 1,000 streams.
    this.files = await this.deps.sources.file?.files();
    for (const g of [...this.groups.values()]) {
      try {
        await this.checkOne(g);
      } catch (err) {
        this.deps.log.warn({ model: g.model, err: (err as Error).message }, 'per-stream learning failed, retrying');
      }
    }
  }

  private async checkOne(g: Group) {
    const model = this.deps.models.get(g.model);
    const now = Date.now();
    if (!model) {
      const lines = await this.read(g, g.need, 'forward');
      g.lines = lines.length;
      const waited = now - g.firstSeen >= this.settings.warmup;
      const ready = lines.length >= g.need || (waited && lines.length >= MIN_LINES);
      if (ready && lines.length > g.tried) await this.train(g, lines, 'warm-up');
      return;
    }
    const { retrain, drift } = this.settings;
    if (now < g.retryAt) return;
    if (retrain > 0 && now - Date.parse(model.createdAt) >= retrain) {
      await this.train(g, await this.latest(g, this.settings.warmupLines), 'schedule');
      return;
    }
    if (drift < 1 && ++g.ticks % DRIFT_EVERY === 0) {
      const recent = await this.latest(g, DRIFT_LINES);
      const share = novelShare(model, recent);
      if (recent.length >= MIN_LINES && share > drift) {
        this.deps.log.info({ model: g.model, share }, 'drift: retraining a learned model');
        await this.train(g, await this.latest(g, this.settings.warmupLines), 'drift');
      }
    }
  }

  private async train(g: Group, lines: string[], why: LearnedFrom['why']) {
    if (lines.length < MIN_LINES) return;
    const { detector, seed, trees, sampleSize } = this.settings;
    const learned: LearnedFrom = { streams: g.text, lines: lines.length, format: '', seed, at: '', why };
    g.training = true;
    try {
      const out = await runTraining(
        this.deps,
        lines,
        {
          name: g.model,
          detector,
          seed,
          maxAnomalyRate: 0.05,
          labels: g.labels,
          source: `learned from ${g.text}`,
          forest: { trees, sampleSize },
        },
        () => undefined,
        { thread: this.thread, learned: { ...learned, at: new Date().toISOString() } },
      );
      g.failed = undefined;
      this.deps.log.info({ model: g.model, streams: g.text, lines: out.trainedLines, why }, 'model learned');
    } catch (err) {
      // Not installed (validation failed): a stream in warm-up tries again with twice the lines.
      g.failed = (err as Error).message;
      // A learned model stays, and the next retraining waits a retrain period (a day when retraining is off), so a
      // stream whose lines do not validate does not keep the training thread busy.
      if (this.deps.models.get(g.model)) g.retryAt = Date.now() + (this.settings.retrain || DAY_MS);
      else {
        g.tried = lines.length;
        g.need = Math.min(g.need * 2, this.deps.config.server.limits.trainLines);
      }
      this.deps.log.warn({ model: g.model, streams: g.text, err: g.failed }, 'model not learned');
    } finally {
      g.training = false;
    }
  }

  /** The group's newest `limit` lines, oldest first. */
  private latest(g: Group, limit: number): Promise<string[]> {
    return this.read(g, limit, 'backward');
  }

  /**
   * Lines of the group, oldest first, from every source: its files' first (or last) lines, an upstream Loki's over
   * the widest range.
   */
  private async read(g: Group, limit: number, direction: 'forward' | 'backward'): Promise<string[]> {
    const lines = await this.fileLines(g, limit, direction);
    const loki = this.deps.sources.loki;
    if (loki && lines.length < limit) {
      const now = Date.now();
      const start = msToNs(now - this.deps.config.server.limits.queryHours * 3_600_000);
      const q = { selector: g.selector, lineFilters: [], start, end: msToNs(now + 60_000), direction };
      const more: string[] = [];
      for await (const e of loki.read({ ...q, limit: limit - lines.length })) more.push(e.line);
      lines.push(...(direction === 'forward' ? more : more.reverse()));
    }
    return lines;
  }

  /**
   * The first `limit` lines of the group's files (forward), or their last `limit` (backward, read from about
   * `TAIL_BYTES` a line before each file's end): bounded reads, never a whole big file.
   */
  private async fileLines(g: Group, limit: number, direction: 'forward' | 'backward'): Promise<string[]> {
    const file = this.deps.sources.file;
    if (!file) return [];
    const out: string[] = [];
    for (const f of (this.files ?? (await file.files())).filter((f) => matchesSelector(g.selector, f.labels))) {
      const tail = file.tail(f);
      try {
        if (!(await tail.openAt(0))) continue;
        let from = 0;
        if (direction === 'backward') {
          from = Math.max(0, (await tail.stat()).size - limit * TAIL_BYTES);
          tail.seek(from);
        }
        const lines: string[] = [];
        for (let batch = await tail.read(READ_BYTES); batch.length > 0; batch = await tail.read(READ_BYTES)) {
          for (const l of batch) if (from === 0 || l.start > from) lines.push(l.line);
          if (direction === 'forward' && out.length + lines.length >= limit) break;
        }
        // a read from mid-file starts mid-line: that first piece is dropped (its start is `from` itself)
        for (const line of direction === 'forward' ? lines.slice(0, limit - out.length) : lines.slice(-limit))
          out.push(line);
      } finally {
        await tail.close();
      }
      if (direction === 'forward' && out.length >= limit) break;
    }
    return direction === 'forward' ? out : out.slice(-limit);
  }
}

/** The share of `lines` whose template the model never saw in training (0 for no lines). */
export function novelShare(model: Model, lines: readonly string[]): number {
  if (lines.length === 0) return 0;
  const parser = modelParser(model);
  const { templates } = runtimeOf(model);
  let novel = 0;
  for (const line of lines) {
    const hit = templates.lookup(parser.parse(line));
    if (hit.id < 0 || hit.count === 0) novel++;
  }
  return novel / lines.length;
}
