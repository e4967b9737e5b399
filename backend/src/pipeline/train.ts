import { createHash } from 'node:crypto';
import { Autoencoder, type Progress, type Schedule } from '../detectors/autoencoder.js';
import { AutoencoderThread, fitAutoencoder } from '../detectors/autoencoder-train.js';
import { DEFAULT_THRESHOLDS, fitCalibration, type Calibration } from '../detectors/calibration.js';
import { FanoutLearner } from '../detectors/fanout.js';
import { IsolationForest } from '../detectors/isolation-forest.js';
import { Novelty } from '../detectors/novelty.js';
import { Rarity, type RarityState } from '../detectors/rarity.js';
import { TemplateProfileBuilder } from '../templates/profile.js';
import {
  buildSchema,
  familyOf,
  LineFeaturizer,
  NumericColumns,
  WebBaselineBuilder,
  WebSample,
  type FeatureSchema,
  type FeatureStats,
} from '../features/index.js';
import { SessionVectorizer } from '../features/session.js';
import { TemplateIndex } from '../templates/index.js';
import {
  MODEL_SCHEMA,
  membersOf,
  type Member,
  type MemberStates,
  type Model,
  type SessionModel,
} from '../models/model.js';
import { createParser, detectFormat, type LineParser } from '../parsing/index.js';
import { continuesRecord } from '../parsing/text.js';
import type { DetectorKind, FormatName, Matrix } from '../types.js';
import { PipelineInputError } from './errors.js';
import { SessionTracker, sessionKeyRegex } from './sessions.js';

export interface TrainOptions {
  detector?: DetectorKind;
  format?: FormatName | 'auto';
  /** Named-group regex for the `custom` format. */
  pattern?: string;
  /** Regex whose first match in a line is its session key (e.g. `blk_-?\d+`). */
  sessionKey?: string;
  /** A session closes after this long without a line (ms); default: only at the end of the input. */
  sessionIdleMs?: number;
  seed?: number;
  name?: string;
  /** Where the lines came from, recorded in `trainedOn.source`. */
  source?: string;
  /** Lines kept to fit the detectors (the first N); templates and baselines see every line. Default 100,000. */
  sampleLines?: number;
  /** Share of training sessions a trimmed refit may leave out as the file's own anomalies (default 0.05; 0: none). */
  sessionTrim?: number;
  /** The Isolation Forest's size (default 100 trees of 256 rows): per-stream learning makes small models smaller. */
  forest?: { trees?: number; sampleSize?: number };
  /** Most autoencoder epochs per phase (the detector's default when unset; early stopping usually ends sooner). */
  autoencoderEpochs?: number;
  /**
   * Fit the autoencoder of a sample over SHORT_FIT_ROWS lines on a thread of its own (AutoencoderThread): for a
   * caller with a core to spare (the CLI). Off by default: the service already trains on a worker, and a third busy
   * thread there held its event loop up to 130 ms on the loaded 2-core machine (train-thread.test.ts wants < 100).
   */
  autoencoderThread?: boolean;
  onProgress?: (p: TrainProgress) => void;
}

export type TrainProgress =
  | { phase: 'read'; lines: number }
  | { phase: 'fit'; member: Member | 'sessions' }
  | { phase: 'autoencoder'; progress: Progress };

const DETECT_LINES = 200;
const DEFAULT_SAMPLE = 100_000;
/**
 * Calibration: at most 1 training row in 2,000 reaches `low` (the anomaly flag) and 1 in 4,000 `medium` (inside
 * ARCHITECTURE.md's 1 in 1,000 for `medium`), so that the ensemble's two members together flag about 0.1% of normal
 * traffic.
 */
export const CALIBRATION = { mediumRate: 0.00025, lowRate: 0.0005 };

/**
 * The calibration rates for n rows: on a small sample two rows still reach `low`; none reaches `medium` (its top row
 * is 1 in n: in a 2,000-line file it was `high`, often a long routine line). loghub 2k rare-event AP, self-trained,
 * 8 Dec 2026: Zookeeper 0.781 -> 0.815, HPC 0.788 -> 0.835, Thunderbird 0.912 -> 0.909; in 250-line files Linux 0.901
 * -> 0.953, Zookeeper 0.764 -> 0.799, BGL 0.877 -> 0.887, HPC 0.934 -> 0.911; the same lines flagged.
 */
function calibrationRates(n: number): { mediumRate: number; lowRate: number } {
  return { mediumRate: CALIBRATION.mediumRate, lowRate: Math.max(CALIBRATION.lowRate, 2 / n) };
}

/** The autoencoder learns from, and calibration scores, even spreads of at most this many sample rows. */
const FIT_ROWS = 50_000;
/**
 * Line samples larger than this fit the autoencoder on its short schedule (a tenth of the steps: 1.1 s of CPU
 * instead of 5.5 on 100,000 access lines, with the same or better flags on the web benchmarks). Smaller ones keep
 * the full schedule, which costs little there and ranks rare lines better on the 2,000-line loghub files
 * (OpenStack's rare-event AP 1.0 against 0.89 with the short one). Sessions always use the full one (schedules in
 * autoencoder-fit.ts).
 */
const SHORT_FIT_ROWS = 8_192;
const MAX_SESSION_ITEMS = 5_000_000;

export async function train(lines: Iterable<string> | AsyncIterable<string>, opts: TrainOptions = {}): Promise<Model> {
  return trainBatches(batchesOf(lines), opts);
}

/** The same as `train`, fed in batches (much cheaper per line than one async step per line). */
export async function trainBatches(
  batches: Iterable<readonly string[]> | AsyncIterable<readonly string[]>,
  opts: TrainOptions = {},
): Promise<Model> {
  const trainer = new Trainer(opts);
  try {
    for await (const batch of batches) trainer.add(batch);
    return await trainer.finish();
  } finally {
    trainer.close();
  }
}

async function* batchesOf(lines: Iterable<string> | AsyncIterable<string>): AsyncGenerator<string[]> {
  let batch: string[] = [];
  for await (const line of lines) {
    batch.push(line);
    if (batch.length === 1024) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

/** One pass over the stream: templates, baselines, sessions and the sample; then the detectors on the sample. */
class Trainer {
  private readonly hash = new LineHasher();
  private readonly head: string[] = [];
  private readonly sample: string[] = [];
  private readonly sampleLimit: number;
  private readonly numeric = new NumericColumns();
  private readonly sessionKey?: RegExp;
  private readonly sessions: number[][] = [];
  private readonly tracker?: SessionTracker<number>;
  private stream?: {
    format: FormatName;
    parser: LineParser;
    templates: TemplateIndex;
    /** Web rows are featurized as they are learnt (WebSample); other lines again once the templates are final. */
    web?: { baseline: WebBaselineBuilder; sample: WebSample };
    /** System logs: the sources of connections that reach many destinations every minute (a network sensor's). */
    fanout?: FanoutLearner;
  };
  private lines = 0;
  /** Lines the stream's format did not read (parsed as `generic` instead). */
  private unparsed = 0;
  /** Started once the sample outgrows SHORT_FIT_ROWS (smaller fits cost less than a thread's start). */
  private autoencoderThread?: AutoencoderThread;

  constructor(private readonly opts: TrainOptions) {
    this.sampleLimit = opts.sampleLines ?? DEFAULT_SAMPLE;
    if (opts.format === 'custom') customPatternCheck(opts.pattern);
    if (opts.sessionKey) {
      this.sessionKey = sessionKeyRegex(opts.sessionKey);
      this.tracker = new SessionTracker<number>(
        (s) => this.sessions.push(s.items),
        opts.sessionIdleMs,
        MAX_SESSION_ITEMS,
      );
    }
  }

  add(batch: readonly string[]): void {
    for (const raw of batch) {
      if (!this.stream) {
        this.head.push(raw);
        if (this.head.length >= DETECT_LINES) this.start();
        continue;
      }
      this.learn(raw);
    }
    this.opts.onProgress?.({ phase: 'read', lines: this.lines + this.head.length });
  }

  private start(): void {
    const requested = this.opts.format ?? 'auto';
    const parser = createParser(requested, { sample: this.head, pattern: this.opts.pattern });
    const format = parser.format;
    const web = familyOf(format) === 'web';
    this.stream = {
      format,
      parser,
      templates: TemplateIndex.create(web ? 'routes' : 'drain'),
      web: web
        ? { baseline: new WebBaselineBuilder(), sample: new WebSample(Math.min(this.sampleLimit, DEFAULT_SAMPLE)) }
        : undefined,
      fanout: web ? undefined : new FanoutLearner(),
    };
    for (const raw of this.head.splice(0)) this.learn(raw);
  }

  private learn(raw: string): void {
    const s = this.stream!;
    const sampled = this.lines++ < this.sampleLimit;
    if (this.lines === SHORT_FIT_ROWS && sampled && this.opts.autoencoderThread && this.fitsAutoencoder())
      this.autoencoderThread = new AutoencoderThread();
    this.hash.add(raw);
    if (sampled && !s.web) this.sample.push(raw);
    const p = s.parser.parse(raw);
    if (p.format === 'generic' && s.format !== 'generic' && !continuesRecord(raw)) this.unparsed++;
    if (p.header) return;
    const hit = s.templates.learn(p);
    if (s.web) {
      const window = s.web.baseline.observe(p, hit);
      if (sampled) s.web.sample.add(p, hit, window);
    }
    this.numeric.observe(p);
    s.fanout?.observe(p);
    if (this.sessionKey) {
      const key = this.sessionKey.exec(raw)?.[0];
      if (key !== undefined) this.tracker!.add(key, p.ts, hit.id);
    }
  }

  async finish(): Promise<Model> {
    if (!this.stream) this.start();
    const s = this.stream!;
    if (this.lines === 0) throw new PipelineInputError('nothing to train on: the input has no lines');
    s.templates.seal();
    const schema = buildSchema(s.format, this.numeric.list());
    const web = s.web?.baseline.finish();
    const profile = s.web ? undefined : new TemplateProfileBuilder();
    const X = s.web
      ? s.web.sample.matrix(web!, s.templates)
      : this.sampleMatrix(schema, s.templates, s.parser, profile);
    if (X.rows === 0) throw new PipelineInputError('nothing to train on: the input has only a header');
    const detector = this.opts.detector ?? 'ensemble';
    const seed = this.opts.seed ?? 1;
    // The autoencoder may fit on its thread while this one builds the rest of the model.
    const fitting = this.fitMembers(membersOf(detector), X, seed, X.rows > SHORT_FIT_ROWS ? 'short' : 'full');
    fitting.catch(() => undefined); // awaited below: a throw before that must not leave it unhandled
    const novelty = Novelty.fit({ templates: s.templates.ids(), features: X, featureNames: schema.names }).toJSON();
    const features = featureStats(X);
    const rarity = profile && rarityOf(profile, s.templates);
    const fitted = await fitting;
    this.tracker?.closeAll();
    return {
      schema: MODEL_SCHEMA,
      name: this.opts.name ?? 'model',
      detector,
      createdAt: new Date().toISOString(),
      trainedOn: {
        source: this.opts.source ?? '-',
        lines: this.lines,
        sha256: this.hash.digest(),
        ...(this.unparsed > 0 && { unparsed: this.unparsed }),
      },
      format: s.format,
      parserState: {
        header: s.parser.header(),
        ...(s.parser.preamble() && { preamble: true }),
        ...(s.parser.envelope && { envelope: s.parser.envelope }),
        pattern: this.opts.pattern,
        dateOrder: s.parser.dateOrder,
        templates: s.templates.toJSON(),
      },
      featureSchema: schema,
      params: { seed, sampleLines: this.sampleLimit, trainedRows: X.rows },
      baselines: { web, features },
      calibration: fitted.calibration,
      thresholds: { ...DEFAULT_THRESHOLDS },
      members: fitted.members,
      novelty,
      rarity,
      fanout: s.fanout?.finish(),
      sessions: this.sessionKey ? await this.fitSessions(detector, seed) : undefined,
    };
  }

  /** Features of the sampled lines, computed with the final templates and baselines, in input order. */
  private sampleMatrix(
    schema: FeatureSchema,
    templates: TemplateIndex,
    parser: LineParser,
    profile?: TemplateProfileBuilder,
  ): Matrix {
    const featurizer = new LineFeaturizer(schema, templates, undefined);
    const cols = schema.names.length;
    const data = new Float64Array(this.sample.length * cols);
    let rows = 0;
    for (const raw of this.sample.splice(0)) {
      const p = parser.parse(raw);
      if (p.header) continue;
      const hit = templates.lookup(p);
      profile?.observe(p, hit);
      data.set(featurizer.fill(p, hit), rows * cols);
      rows++;
    }
    return { data: data.subarray(0, rows * cols), rows, cols };
  }

  private async fitMembers(
    members: Member[],
    X: Matrix,
    seed: number,
    schedule: Schedule,
  ): Promise<{ members: MemberStates; calibration: Partial<Record<Member, Calibration>> }> {
    const states: MemberStates = {};
    const calibration: Partial<Record<Member, Calibration>> = {};
    const held = strided(X, FIT_ROWS, 0.5);
    const tooFew = X.rows < Autoencoder.MIN_ROWS;
    // An ensemble scores with its other members; asked for alone, the autoencoder is the user's to get rows for.
    if (tooFew && members.length === 1 && members[0] === 'autoencoder')
      throw new PipelineInputError(
        `the autoencoder needs at least ${Autoencoder.MIN_ROWS} training rows, got ${X.rows}`,
      );
    // The autoencoder starts first: on its thread, it fits while this one fits the forest.
    const autoencoder = members.includes('autoencoder') && !tooFew ? this.fitAutoencoder(X, seed, schedule) : undefined;
    autoencoder?.catch(() => undefined); // awaited below: a throw before that must not leave it unhandled
    if (members.includes('iforest')) {
      this.opts.onProgress?.({ phase: 'fit', member: 'iforest' });
      const forest = IsolationForest.fit(X, { seed, ...this.opts.forest });
      states.iforest = forest.toJSON();
      calibration.iforest = fitCalibration(
        forest.scoreMatrix(held),
        DEFAULT_THRESHOLDS.iforest,
        calibrationRates(held.rows),
      );
    }
    if (autoencoder) {
      const ae = await autoencoder;
      states.autoencoder = ae.toJSON();
      calibration.autoencoder = fitCalibration(
        ae.scoreMatrix(held),
        DEFAULT_THRESHOLDS.autoencoder,
        calibrationRates(held.rows),
      );
    }
    return { members: states, calibration };
  }

  /** The autoencoder on an even spread of at most FIT_ROWS rows of X, on its thread when it has one. */
  private fitAutoencoder(X: Matrix, seed: number, schedule: Schedule): Promise<Autoencoder> {
    this.opts.onProgress?.({ phase: 'fit', member: 'autoencoder' });
    const rows = strided(X, FIT_ROWS, 0);
    const opts = {
      seed,
      schedule,
      epochs: this.opts.autoencoderEpochs,
      onProgress: (progress: Progress) => this.opts.onProgress?.({ phase: 'autoencoder', progress }),
    };
    return this.autoencoderThread ? this.autoencoderThread.fit(rows, opts) : fitAutoencoder(rows, opts);
  }

  close(): void {
    this.autoencoderThread?.close();
  }

  private fitsAutoencoder(): boolean {
    return membersOf(this.opts.detector ?? 'ensemble').includes('autoencoder');
  }

  private async fitSessions(detector: DetectorKind, seed: number): Promise<SessionModel | undefined> {
    if (this.sessions.length === 0) return undefined;
    this.opts.onProgress?.({ phase: 'fit', member: 'sessions' });
    // A user's file is never clean: the detectors and the signatures learn from the sessions that are not rare.
    const kept = trimmedSessions(this.sessions, this.opts.sessionTrim ?? SESSION_TRIM);
    const vectorizer = SessionVectorizer.fit(kept);
    const S = vectorizer.transformAll(kept);
    const fitted = await this.fitMembers(membersOf(detector), S, seed, 'full');
    return {
      key: this.opts.sessionKey!,
      idleMs: this.opts.sessionIdleMs ?? 0,
      sessions: this.sessions.length,
      vectorizer: vectorizer.toJSON(),
      members: fitted.members,
      calibration: fitted.calibration,
      novelty: Novelty.fit({ sessions: this.sessions }).toJSON(),
    };
  }
}

/**
 * Share of sessions a trimmed refit may leave out: at most the rarest 5%, and only those that are rare outright
 * (see trimmedSessions).
 */
const SESSION_TRIM = 0.05;

/**
 * The training sessions without the rarest ones, so that a file's own anomalies do not teach the session detectors
 * (and the lifecycle steps, ordering rules and signatures) that they are normal. A session's rarity is
 * frequency-based, in bits: for every template, -log2 of the share of sessions that hold it (when the session holds
 * it) or lack it (when it does not), which is high for a rare step and for a missing step nearly every session has;
 * plus half of -log2 of the share of sessions with the session's count vector. The top `trim` share of sessions by
 * that rarity is left out, of those above MIN_TRIM_BITS (a presence pattern of about 1 session in 32): routine
 * shapes are never dropped.
 */
export function trimmedSessions(sessions: readonly (readonly number[])[], trim: number): number[][] {
  const n = sessions.length;
  if (trim <= 0 || n < 20) return sessions as number[][];
  const df = new Map<number, number>();
  for (const s of sessions) for (const t of new Set(s)) df.set(t, (df.get(t) ?? 0) + 1);
  const vocabulary = [...df].sort((x, y) => x[0] - y[0]);
  let absentAll = 0;
  for (const [, d] of vocabulary) absentAll += -Math.log2(Math.max(1 - d / n, 1 / n));
  const candidates: { i: number; bits: number }[] = [];
  sessions.forEach((s, i) => {
    let bits = absentAll;
    for (const t of new Set(s)) {
      const d = df.get(t)! / n;
      bits += -Math.log2(d) + Math.log2(Math.max(1 - d, 1 / n));
    }
    if (bits >= MIN_TRIM_BITS) candidates.push({ i, bits });
  });
  candidates.sort((a, b) => b.bits - a.bits || a.i - b.i);
  const drop = new Set(candidates.slice(0, Math.floor(trim * n)).map((c) => c.i));
  return sessions.filter((_, i) => !drop.has(i)) as number[][];
}

const MIN_TRIM_BITS = 5;

/** The per-template rarity model of a system log (web logs have their route baselines instead). */
function rarityOf(profile: TemplateProfileBuilder, templates: TemplateIndex): RarityState {
  return Rarity.fit(profile.finish(), (id) => templates.count(id), templates.total).toJSON();
}

/**
 * At most `max` rows evenly spread over X, starting `phase` of a step in: deterministic, and two phases pick
 * different rows when X has more than 2 x max of them (the autoencoder is calibrated on rows it did not learn).
 */
function strided(X: Matrix, max: number, phase: number): Matrix {
  if (X.rows <= max) return X;
  const step = X.rows / max;
  const data = new Float64Array(max * X.cols);
  for (let i = 0; i < max; i++) {
    const r = Math.floor((i + phase) * step);
    data.set(X.data.subarray(r * X.cols, (r + 1) * X.cols), i * X.cols);
  }
  return { data, rows: max, cols: X.cols };
}

export function featureStats(X: Matrix): FeatureStats {
  const { rows, cols, data } = X;
  const mean = new Array<number>(cols).fill(0);
  const m2 = new Array<number>(cols).fill(0);
  const min = new Array<number>(cols).fill(Infinity);
  const max = new Array<number>(cols).fill(-Infinity);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = data[r * cols + c];
      const d = v - mean[c];
      mean[c] += d / (r + 1);
      m2[c] += d * (v - mean[c]);
      if (v < min[c]) min[c] = v;
      if (v > max[c]) max[c] = v;
    }
  }
  return { mean, std: m2.map((v) => Math.sqrt(v / Math.max(1, rows - 1))), min, max };
}

/** sha256 of the lines, each followed by '\n' (a call per line: cheaper than hashing joined chunks, which must be flattened). */
class LineHasher {
  private readonly hash = createHash('sha256');

  add(line: string): void {
    this.hash.update(line).update('\n');
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

/** A custom format's pattern is the user's: a missing or invalid one is their mistake, said before any line is read. */
function customPatternCheck(pattern: string | undefined): void {
  try {
    createParser('custom', { pattern });
  } catch (e) {
    throw new PipelineInputError((e as Error).message);
  }
}
