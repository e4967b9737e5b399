import { createHash } from 'node:crypto';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { matchesSelector, parseSelector, type LabelMatcher } from '../logql/selector.js';
import type { Config } from '../config/index.js';
import { loadModel, serializeModel, type Model } from '../models/index.js';
import { removeTemps, renameDurable, writeDurable } from '../durable.js';
import { createScorer, modelParser, type BatchScorer } from '../pipeline/index.js';
import { streamKey } from '../stream.js';
import type { DetectorKind, ScoredLine, Severity } from '../types.js';
import type { FeedbackStore } from './feedback.js';
import type { Metrics } from '../metrics.js';

/** Model names become file names: models/<name>.json. */
export const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** Streams remembered as not fitting the default model (`noteSample`): past this many, others are not remembered. */
const MAX_MISFITS = 100_000;
/** A stream's first lines fit a model when at least this share of them reads as the model's format. */
const FIT_SHARE = 0.5;

/** A model was asked for that is not loaded. */
export class NoModelError extends Error {
  override name = 'NoModelError';
}

interface StreamRoute {
  matchers: LabelMatcher[];
  model: string;
  detector?: DetectorKind;
}

/**
 * The loaded models, one per name (models/<name>.json), and which stream uses which. Replaced models move to
 * models/previous/<name>.json so one rollback is always possible.
 */
export class ModelRegistry {
  private readonly models = new Map<string, Model>();
  private readonly routes: StreamRoute[];
  /** Streams (`streamKey`) that no `streams` entry names and whose lines the default model does not read. */
  private readonly misfits = new Set<string>();

  constructor(
    private readonly config: Config,
    private readonly deps: { metrics: Metrics; log: Logger; feedback: FeedbackStore },
  ) {
    this.routes = config.streams.map((s) => ({ ...s, matchers: parseSelector(s.selector) }));
  }

  get feedback(): FeedbackStore {
    return this.deps.feedback;
  }

  /** Files that failed to load at the last `loadAll`, by model name, with why. */
  readonly failed = new Map<string, string>();

  /**
   * Loads every models/<name>.json; a file that fails to load is logged, skipped and listed in `failed`. First
   * cleans up after a crash: temp files of an interrupted write are removed, and a model stranded in `<name>.json.swap`
   * by the old rollback is put back when `<name>.json` is missing.
   */
  async loadAll(): Promise<string[]> {
    const dir = this.config.models.dir;
    await removeTemps(dir);
    await removeTemps(join(dir, 'previous'));
    await removeTemps(join(dir, 'cards'));
    let files = await readdir(dir).catch(() => [] as string[]);
    for (const swap of files.filter((f) => f.endsWith('.json.swap'))) {
      const current = join(dir, swap.slice(0, -'.swap'.length));
      if (!(await exists(current))) await renameDurable(join(dir, swap), current);
      else await rm(join(dir, swap), { force: true });
    }
    files = await readdir(dir).catch(() => [] as string[]);
    for (const file of files.filter((f) => f.endsWith('.json')).sort()) {
      const name = file.slice(0, -'.json'.length);
      if (!MODEL_NAME.test(name)) {
        this.deps.log.warn({ file }, 'model not loaded: name it with letters, digits, - and _');
        continue;
      }
      try {
        this.models.set(name, this.withConfigThresholds(await loadModel(join(dir, file))));
        this.failed.delete(name);
      } catch (err) {
        this.failed.set(name, (err as Error).message);
        this.deps.log.warn({ file: join(dir, file), err: (err as Error).message }, 'model not loaded');
      }
    }
    return this.names();
  }

  names(): string[] {
    return [...this.models.keys()].sort();
  }

  get(name: string): Model | undefined {
    return this.models.get(name);
  }

  /**
   * The model name and detector a stream uses: the first matching `streams` entry, else the defaults. When that model
   * is not loaded, or it is the default one and the stream's lines are not of its format (`noteSample`), and
   * per-stream learning is on: the stream's learned model (`learned` is its group), loaded or not yet.
   */
  route(
    labels: Record<string, string>,
    detector?: DetectorKind,
  ): { model: string; detector: DetectorKind; learned?: LearnedGroup } {
    const hit = this.routeOf(labels);
    const configured = hit?.model ?? this.config.defaults.model;
    const misfit = !hit && this.misfits.size > 0 && this.misfits.has(streamKey(labels));
    const learned =
      this.config.learning.enabled && (!this.models.has(configured) || misfit)
        ? learnedGroup(labels, this.config.learning.groupBy)
        : undefined;
    return {
      model: learned?.model ?? configured,
      detector: detector ?? hit?.detector ?? this.config.defaults.detector,
      learned,
    };
  }

  /**
   * A stream's first lines, from whoever scores it first: a stream no `streams` entry names, most of whose lines the
   * default model's format does not read (a firewall's or a system log beside the shipped web model), learns a model
   * of its own when learning is on, instead of being scored by a model of other lines. Before, under the shipped
   * anomalog.yaml, a Windows Firewall log added to `sources.file` was scored by the web model: every line critical.
   */
  noteSample(labels: Record<string, string>, lines: readonly string[]): void {
    if (!this.config.learning.enabled || this.misfits.size >= MAX_MISFITS) return;
    if (this.routeOf(labels)) return;
    const model = this.models.get(this.config.defaults.model);
    if (model && !readsAsFormat(model, lines)) this.misfits.add(streamKey(labels));
  }

  /** The first `streams` entry whose selector matches the labels. */
  private routeOf(labels: Record<string, string>): StreamRoute | undefined {
    return this.routes.find((r) => matchesSelector(r.matchers, labels));
  }

  /** The model a stream is scored with now: undefined while its own model is learned; NoModelError when none can be. */
  resolve(labels: Record<string, string>, detector?: DetectorKind): { model?: Model; learned?: LearnedGroup } {
    const routed = this.route(labels, detector);
    const model = this.models.get(routed.model);
    if (!model && !routed.learned) throw new NoModelError(`no model named "${routed.model}" is loaded`);
    return { model, learned: routed.learned };
  }

  /**
   * A scorer for one stream, with the model the stream routes to, a loaded model by name, or a model of its own that
   * the registry does not hold (one learnt from an upload). It counts metrics and applies the stream's feedback,
   * unless `feedback: false`: a cache of scored lines keeps the model's own verdicts and applies feedback as it reads
   * them, so an undo or an expiry holds for lines cached meanwhile.
   */
  scorerFor(
    labels: Record<string, string>,
    detector?: DetectorKind,
    modelOrName?: string | Model,
    opts: { feedback?: boolean } = {},
  ): BatchScorer {
    const routed = this.route(labels, detector);
    const name = typeof modelOrName === 'string' ? modelOrName : routed.model;
    const model = typeof modelOrName === 'object' ? modelOrName : this.models.get(name);
    if (!model) throw new NoModelError(`no model named "${name}" is loaded`);
    const inner = createScorer(model, { labels, detector: routed.detector });
    const { metrics } = this.deps;
    const stream = metrics.streamLabel.value(streamKey(labels));
    const seconds = metrics.scoreSeconds.labels({ detector: routed.detector });
    // Counted once per severity and batch: prom-client's inc with labels costs about 1 µs, 1.4% of the watcher's time.
    const counts = new Map<Severity, number>();
    const finish = (lines: ScoredLine[]) => {
      const out = lines.map((line) => {
        const applied = opts.feedback === false ? line : this.deps.feedback.apply(line);
        counts.set(applied.severity, (counts.get(applied.severity) ?? 0) + 1);
        return applied;
      });
      for (const [severity, n] of counts) metrics.linesScored.inc({ stream, detector: routed.detector, severity }, n);
      counts.clear();
      return out;
    };
    const timed = (score: () => ScoredLine[]) => {
      const start = performance.now();
      const lines = score();
      seconds.observe((performance.now() - start) / 1000);
      return finish(lines);
    };
    return {
      push: (raw, ts) => timed(() => inner.push(raw, ts)),
      pushBatch: (raws, ts) => timed(() => inner.pushBatch(raws, ts)),
      end: () => finish(inner.end()),
      flush: () => finish(inner.flush()),
    };
  }

  /**
   * Makes `model` the current `name`, keeping the one it replaces for rollback. Crash-safe at every step: the current
   * file is copied to previous/ (durably) before the new one replaces it by an atomic rename, so a kill -9 or a full
   * disk at any point leaves models/<name>.json holding the old model or the new one, never nothing. `serialized`
   * is the model's file text when the caller has it already (a training thread's result).
   */
  async install(name: string, model: Model, serialized?: string): Promise<void> {
    const { current, previous } = this.paths(name);
    const text = serialized ?? serializeModel(model);
    const old = await readFile(current).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (old) await writeDurable(previous, old);
    await writeDurable(current, text);
    this.models.set(name, this.withConfigThresholds(model));
    this.failed.delete(name);
    this.deps.log.info({ model: name }, 'model installed');
  }

  /**
   * Swaps `name` with the version it replaced; returns the model now current. Each file is replaced by an atomic
   * rename of a durable temp file, current first: a crash between the two leaves the restored model current (and
   * previous/ holding the same), never no model.
   */
  async rollback(name: string): Promise<Model> {
    const { current, previous } = this.paths(name);
    if (!(await exists(previous))) throw new NoModelError(`model "${name}" has no previous version to roll back to`);
    const restored = await loadModel(previous);
    const [before, replaced] = await Promise.all([readFile(previous), readFile(current).catch(() => undefined)]);
    await writeDurable(current, before);
    if (replaced) await writeDurable(previous, replaced);
    this.models.set(name, this.withConfigThresholds(restored));
    this.deps.log.info({ model: name }, 'model rolled back');
    return restored;
  }

  async hasPrevious(name: string): Promise<boolean> {
    return exists(this.paths(name).previous);
  }

  /** Thresholds set in anomalog.yaml replace the ones the model was trained with. */
  private withConfigThresholds(model: Model): Model {
    return { ...model, thresholds: { ...model.thresholds, ...this.config.thresholds } };
  }

  private paths(name: string) {
    if (!MODEL_NAME.test(name)) throw new NoModelError(`no model named "${name}"`);
    const dir = this.config.models.dir;
    return { current: join(dir, `${name}.json`), previous: join(dir, 'previous', `${name}.json`) };
  }
}

/** The streams one learned model covers: those with the same value of the `groupBy` label (or the same labels). */
export interface LearnedGroup {
  /** `auto-<value>`, made a valid model name (a hash of the value is added when it had to be changed). */
  model: string;
  /** The label matchers of the group, equality only. */
  labels: Record<string, string>;
}

export function learnedGroup(labels: Record<string, string>, groupBy: string): LearnedGroup {
  const grouped = groupBy !== '' && labels[groupBy] !== undefined;
  const group = grouped ? { [groupBy]: labels[groupBy] } : labels;
  const value = grouped ? labels[groupBy] : streamKey(labels);
  const slug = value.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40);
  const hash = createHash('sha256').update(value).digest('hex').slice(0, 8);
  return { model: `auto-${slug === value ? slug : `${slug}-${hash}`}`, labels: group };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Whether most of `lines` (blank and header lines aside) read as `model`'s format. */
function readsAsFormat(model: Model, lines: readonly string[]): boolean {
  const parser = modelParser(model);
  let rows = 0;
  let read = 0;
  for (const line of lines) {
    const p = parser.parse(line);
    if (p.header) continue;
    rows++;
    if (p.format === model.format) read++;
  }
  return rows === 0 || read >= FIT_SHARE * rows;
}
