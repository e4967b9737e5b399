import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { LabelMatcher } from '../logql/selector.js';
import type { Model } from '../models/index.js';
import { createParser } from '../parsing/index.js';
import { runtimeOf } from '../pipeline/runtime.js';
import type { SourceSet } from '../sources/index.js';
import { msToNs } from '../stream.js';
import type { ModelRegistry, LearnedGroup } from './registry.js';
import { runTraining, TrainingThread, type LearnedFrom } from './training.js';

/** Validation holds out every 10th line and needs 20 of them. */
const MIN_LINES = 200;
/** Recent lines read to measure drift. */
const DRIFT_LINES = 1_000;
/** Drift is measured every this many learning intervals (every minute by default). */
const DRIFT_EVERY = 12;
const DAY_MS = 86_400_000;

/** One learned model's group of streams, as the learner follows it. */
interface Group extends LearnedGroup {
  selector: LabelMatcher[];
  text: string;
  firstSeen: number;
  /** Lines of the group seen at the last check (during warm-up). */
  lines: number;
  /** Lines needed before the next try (more after a validation failure). */
  need: number;
  training: boolean;
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
        ticks: 0,
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
      if (lines.length >= g.need || (waited && lines.length >= MIN_LINES)) await this.train(g, lines, 'warm-up');
      return;
    }
    const { retrain, drift } = this.settings;
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
    const { detector, seed } = this.settings;
    const learned: LearnedFrom = { streams: g.text, lines: lines.length, format: '', seed, at: '', why };
    g.training = true;
    try {
      const out = await runTraining(
        this.deps,
        lines,
        { name: g.model, detector, seed, maxAnomalyRate: 0.05, labels: g.labels, source: `learned from ${g.text}` },
        () => undefined,
        { thread: this.thread, learned: { ...learned, at: new Date().toISOString() } },
      );
      g.failed = undefined;
      this.deps.log.info({ model: g.model, streams: g.text, lines: out.trainedLines, why }, 'model learned');
    } catch (err) {
      // Not installed (validation failed): a stream in warm-up tries again with twice the lines.
      g.failed = (err as Error).message;
      if (!this.deps.models.get(g.model)) g.need = Math.min(g.need * 2, this.deps.config.server.limits.trainLines);
      this.deps.log.warn({ model: g.model, streams: g.text, err: g.failed }, 'model not learned');
    } finally {
      g.training = false;
    }
  }

  /** The group's newest `limit` lines, oldest first. */
  private async latest(g: Group, limit: number): Promise<string[]> {
    return (await this.read(g, limit, 'backward')).reverse();
  }

  /** Lines of the group from every source: files from their start, an upstream Loki over the widest query range. */
  private async read(g: Group, limit: number, direction: 'forward' | 'backward'): Promise<string[]> {
    const now = Date.now();
    const lines: string[] = [];
    const { file, loki } = this.deps.sources;
    const hours = this.deps.config.server.limits.queryHours;
    const parts = [
      file && { source: file, start: 0n },
      loki && { source: loki, start: msToNs(now - hours * 3_600_000) },
    ];
    for (const part of parts) {
      if (!part || lines.length >= limit) continue;
      const q = { selector: g.selector, lineFilters: [], start: part.start, end: msToNs(now + DAY_MS), direction };
      for await (const e of part.source.read({ ...q, limit: limit - lines.length })) lines.push(e.line);
    }
    return lines;
  }
}

/** The share of `lines` whose template the model never saw in training (0 for no lines). */
export function novelShare(model: Model, lines: readonly string[]): number {
  if (lines.length === 0) return 0;
  const { header, pattern } = model.parserState;
  const parser = createParser(model.format, { sample: header === undefined ? undefined : [header], pattern });
  const { templates } = runtimeOf(model);
  let novel = 0;
  for (const line of lines) {
    const hit = templates.lookup(parser.parse(line));
    if (hit.id < 0 || hit.count === 0) novel++;
  }
  return novel / lines.length;
}
