import { calibrate, severityOf, type Thresholds } from '../detectors/calibration.js';
import * as ensemble from '../detectors/ensemble.js';
import { BurstTracker, burstReason, type BurstWindow } from '../detectors/burst.js';
import type { MemberScore, Signal } from '../detectors/ensemble.js';
import { explain, RULE_STRENGTH, ruleSignals, type Attribution } from '../explain/index.js';
import { sessionFindings } from '../explain/session.js';
import { LineFeaturizer } from '../features/index.js';
import type { TemplateHit } from '../templates/index.js';
import { MEMBER_KINDS } from '@anomalog/contract';
import type { LateMember, Member, Model } from '../models/model.js';
import { createParser, type LineParser } from '../parsing/index.js';
import type { DetectorKind, Matrix, ParsedLine, ScoredLine } from '../types.js';
import { activeMembers, addMember, runtimeOf, type LiveMembers, type ModelRuntime } from './runtime.js';
import { SessionTracker, type OpenSession } from './sessions.js';

export interface ScorerOptions {
  labels?: Record<string, string>;
  /** One member of the model, or `ensemble` (all members with the novelty and rule signals). Default: the model's. */
  detector?: DetectorKind;
  /**
   * Members still being fitted (the CLI's scan starts scoring before the autoencoder is ready): lines are scored as
   * far as they can be and wait, rows kept, until `complete` brings the members. Only for a model whose lines are
   * judged one by one (no sessions, no rarity and bursts: see `canAwait`); the caller bounds how many lines wait.
   */
  awaiting?: Member[];
}

export interface Scorer {
  /** Scores one line; returns the lines that are final, in input order (lines of open sessions wait). */
  push(raw: string, ts?: number): ScoredLine[];
  /** Closes open sessions and returns every line still held. */
  end(): ScoredLine[];
  /**
   * Returns the lines held for bursts now, marked as far as their minute is known, and goes on counting (sessions stay
   * open): for a reader that must show every line read so far (a query) without losing the count of the minute.
   */
  flush(): ScoredLine[];
}

export interface BatchScorer extends Scorer {
  /** `push` for many lines at once: the fast path (the detectors score the batch as one matrix). */
  pushBatch(raws: readonly string[], ts?: readonly (number | undefined)[]): ScoredLine[];
}

/** What a scan's parts use (cli/scan-part.ts): a scorer told where its input's blocks of lines start. */
export interface BlockScorer extends BatchScorer {
  /**
   * The next line does not follow the previous one (a scan's next block of lines): bursts are not counted across.
   * Returns the lines held for bursts, now final.
   */
  cut(): ScoredLine[];
  /** Adds the member the scorer was awaiting (ScorerOptions.awaiting) to its model; returns the lines that waited, final. */
  complete(late: LateMember): ScoredLine[];
}

/** Whether a scorer of the model can score while a member is still being fitted (ScorerOptions.awaiting). */
export function canAwait(model: Model): boolean {
  return model.rarity === undefined && model.sessions === undefined;
}

/** The parser of a model's lines, as its scorer reads them. */
export function modelParser(model: Model): LineParser {
  const { header, pattern } = model.parserState;
  return createParser(model.format, { sample: header === undefined ? undefined : [header], pattern });
}

/**
 * Whether the model's scorer counts bursts: a system log without sessions. (A session model's scan deals lines by
 * session, cli/scan-part.ts, which spreads a template's lines of one minute over the threads; it judges sessions.)
 */
export function countsBursts(model: Model): boolean {
  return model.rarity !== undefined && model.sessions === undefined;
}

/** Scores lines with any model: loaded by loadModel, returned by train, or parsed by hand. */
export function createScorer(model: Model, opts: ScorerOptions = {}): BlockScorer {
  if (opts.awaiting?.length && !canAwait(model))
    throw new Error('createScorer: a model with sessions or bursts cannot score before its members are fitted');
  return new LineScorer(runtimeOf(model), opts);
}

interface Held {
  line: ScoredLine;
  template: number;
  pending: boolean;
}

/**
 * A line held until its burst window closes (detectors/burst.ts: the stream's minute is over), so the first lines of
 * a burst are marked too; at most MAX_HELD lines wait.
 */
interface Pending {
  line: ScoredLine;
  window?: BurstWindow;
}

const MAX_HELD = 2048;

/**
 * Lines waiting for the members being fitted (ScorerOptions.awaiting), in input order, kept in typed arrays (few
 * objects to carry through the young-generation collections): each line's text as UTF-8, its time as scored and as
 * given (NaN: none), its row, the scores of the members already there (`scores[k]`: the k-th of the scorer's
 * members), and its template hit, signals (ensemble; none: empty) and population reason.
 */
class Waiting {
  count = 0;
  private text = Buffer.allocUnsafe(1 << 20);
  private ends = new Int32Array(1024);
  ts = new Float64Array(1024);
  given = new Float64Array(1024);
  rows: Float64Array;
  scores: Float64Array[];
  readonly hits: TemplateHit[] = [];
  readonly signals: (Signal[] | undefined)[] = [];
  readonly entities: (string | undefined)[] = [];
  /** Indexes of header lines (final as they come). */
  readonly headers = new Set<number>();

  constructor(
    private readonly cols: number,
    members: number,
  ) {
    this.rows = new Float64Array(1024 * cols);
    this.scores = Array.from({ length: members }, () => new Float64Array(1024));
  }

  /** Keeps a line; returns its index. */
  add(raw: string, ts: number, given: number | undefined, row: Float64Array, hit: TemplateHit): number {
    const at = this.count++;
    if (at === this.ts.length) {
      this.ends = grown(this.ends, 2 * at);
      this.ts = grown(this.ts, 2 * at);
      this.given = grown(this.given, 2 * at);
      this.rows = grown(this.rows, 2 * at * this.cols);
      this.scores = this.scores.map((a) => grown(a, 2 * at));
    }
    const from = at ? this.ends[at - 1] : 0;
    // a UTF-16 unit takes at most 3 bytes in UTF-8
    if (from + 3 * raw.length > this.text.length) {
      const text = Buffer.allocUnsafe(Math.max(2 * this.text.length, from + 3 * raw.length));
      this.text.copy(text, 0, 0, from);
      this.text = text;
    }
    this.ends[at] = from + this.text.write(raw, from);
    this.ts[at] = ts;
    this.given[at] = given ?? NaN;
    this.rows.set(row, at * this.cols);
    this.hits.push(hit);
    return at;
  }

  raw(i: number): string {
    return this.text.toString('utf8', i ? this.ends[i - 1] : 0, this.ends[i]);
  }

  row(i: number): Float64Array {
    return this.rows.subarray(i * this.cols, (i + 1) * this.cols);
  }
}

const NO_LINES: ScoredLine[] = [];
const NO_REASONS: string[] = [];

class LineScorer implements BlockScorer {
  private readonly model: Model;
  private readonly parser: LineParser;
  private readonly featurizer: LineFeaturizer;
  private readonly detector: DetectorKind;
  private readonly members: Member[];
  private readonly thresholds: Thresholds;
  private readonly label: string;
  private readonly labels: Record<string, string>;
  private readonly cols: number;
  private readonly scratch: MemberScore[];
  private matrix = new Float64Array(0);
  private parsed: ParsedLine[] = [];
  private hits: TemplateHit[] = [];
  /** Per row of the batch: the population analysis's reason when the line's client is far from the crowd. */
  private entities: (string | undefined)[] = [];
  private readonly sessions?: {
    tracker: SessionTracker<Held>;
    closed: OpenSession<Held>[];
    queue: Held[];
    head: number;
  };
  /** System logs without sessions: bursts of templates in the lines scored. */
  private readonly bursts?: { tracker: BurstTracker; queue: Pending[]; head: number; score: number };
  private waiting?: Waiting;

  constructor(
    private readonly runtime: ModelRuntime,
    opts: ScorerOptions,
  ) {
    const model = (this.model = runtime.model);
    this.detector = opts.detector ?? model.detector;
    const awaiting = opts.awaiting ?? [];
    this.members = awaiting.length
      ? MEMBER_KINDS.filter(
          (m) => (this.detector === 'ensemble' || m === this.detector) && (model.members[m] || awaiting.includes(m)),
        )
      : activeMembers(model, this.detector);
    this.thresholds = model.thresholds[this.detector];
    this.label = `${model.name}/${this.detector}@${model.trainedOn.sha256.slice(0, 8)}`;
    this.labels = opts.labels ?? {};
    this.parser = modelParser(model);
    this.featurizer = new LineFeaturizer(model.featureSchema, runtime.templates, model.baselines.web);
    this.cols = model.featureSchema.names.length;
    this.scratch = this.members.map((name) => ({ name, score: 0 }));
    if (awaiting.length) this.waiting = new Waiting(this.cols, this.members.length);
    if (runtime.sessions) {
      const closed: OpenSession<Held>[] = [];
      this.sessions = {
        tracker: new SessionTracker<Held>((s) => closed.push(s), runtime.sessions.idleMs),
        closed,
        queue: [],
        head: 0,
      };
    }
    const rarity = runtime.rarity;
    if (rarity && countsBursts(model))
      this.bursts = {
        tracker: new BurstTracker((id) => rarity.rateOf(id)),
        queue: [],
        head: 0,
        score: Math.max(rarity.burstScore(), this.thresholds.low),
      };
  }

  push(raw: string, ts?: number): ScoredLine[] {
    return this.pushBatch([raw], ts === undefined ? undefined : [ts]);
  }

  pushBatch(raws: readonly string[], ts?: readonly (number | undefined)[]): ScoredLine[] {
    const n = raws.length;
    if (n === 0) return NO_LINES;
    const X = this.featurize(raws, ts);
    const calibrated = this.scoreMembers(this.runtime.members, X);
    if (this.waiting) {
      for (let i = 0; i < n; i++) this.wait(i, raws[i], ts?.[i], X, calibrated);
      return NO_LINES;
    }
    if (this.bursts) {
      const out: ScoredLine[] = [];
      for (let i = 0; i < n; i++) {
        const line = this.scoreLine(i, raws[i], ts?.[i], X, calibrated);
        const p = this.parsed[i];
        const window = p.header ? undefined : this.bursts.tracker.observe(this.hits[i].id, p.ts);
        this.bursts.queue.push({ line, window });
        this.releaseBursts(out, false);
      }
      return out;
    }
    const out: ScoredLine[] = this.sessions ? NO_LINES : new Array(n);
    for (let i = 0; i < n; i++) {
      const line = this.scoreLine(i, raws[i], ts?.[i], X, calibrated);
      if (this.sessions) this.hold(line, this.hits[i], this.parsed[i].ts);
      else out[i] = line;
    }
    return this.sessions ? this.release() : out;
  }

  end(): ScoredLine[] {
    if (this.bursts) return this.cut();
    if (!this.sessions) return NO_LINES;
    this.sessions.tracker.closeAll();
    return this.release();
  }

  flush(): ScoredLine[] {
    if (!this.bursts) return NO_LINES;
    const out: ScoredLine[] = [];
    this.releaseBursts(out, true);
    return out;
  }

  cut(): ScoredLine[] {
    this.bursts?.tracker.reset();
    return this.flush();
  }

  complete(late: LateMember): ScoredLine[] {
    const w = this.waiting;
    if (!w) throw new Error('complete: the scorer awaits no member');
    this.waiting = undefined;
    addMember(this.runtime.model, late);
    const n = w.count;
    const fresh = this.scoreMembers(
      this.runtime.members,
      { data: w.rows.subarray(0, n * this.cols), rows: n, cols: this.cols },
      [late.member],
    );
    this.members.forEach((m, k) => (w.scores[k] = fresh[m] ?? w.scores[k]));
    const scores = this.scratch;
    const out = new Array<ScoredLine>(n);
    for (let i = 0; i < n; i++) {
      const line = (out[i] = this.lineOf(w.raw(i), w.ts[i], w.hits[i]));
      if (w.headers.has(i)) continue;
      for (let k = 0; k < scores.length; k++) scores[k].score = w.scores[k][i];
      const signals = this.detector === 'ensemble' ? (w.signals[i] ?? NO_SIGNALS) : undefined;
      this.rate(line, scores, signals);
      if (!line.anomaly) continue;
      // An anomaly's reasons read its line again (few lines are anomalies; keeping every parse costs more).
      const p = this.parser.parse(line.line);
      if (p.ts === undefined && !Number.isNaN(w.given[i])) p.ts = w.given[i];
      const row = w.row(i);
      this.explainLine(line, p, w.hits[i], row, signals ?? this.signals(p, w.hits[i], row, w.entities[i]), scores);
    }
    return out;
  }

  /** Scores row i of a batch with the members that are there and keeps what `complete` needs for the rest. */
  private wait(
    i: number,
    raw: string,
    ts: number | undefined,
    X: Matrix,
    calibrated: Partial<Record<Member, Float64Array>>,
  ): void {
    const w = this.waiting!;
    const p = this.parsed[i];
    const hit = this.hits[i];
    const row = X.data.subarray(i * X.cols, (i + 1) * X.cols);
    const at = w.add(raw, ts ?? p.ts ?? 0, ts, row, hit);
    for (let k = 0; k < this.members.length; k++) w.scores[k][at] = calibrated[this.members[k]]?.[i] ?? 0;
    if (p.header) w.headers.add(at);
    const signals = !p.header && this.detector === 'ensemble' ? this.signals(p, hit, row, this.entities[i]) : undefined;
    w.signals.push(signals?.length ? signals : undefined);
    w.entities.push(this.entities[i]);
  }

  /**
   * Moves the held lines that are final to `out`, in order: a line is final once its burst window is closed, or when
   * more than MAX_HELD lines wait (or `all`). A line of a burst minute is marked as it leaves.
   */
  private releaseBursts(out: ScoredLine[], all: boolean): void {
    const b = this.bursts!;
    while (b.head < b.queue.length) {
      const { line, window } = b.queue[b.head];
      if (window && !window.closed && !all && b.queue.length - b.head <= MAX_HELD) break;
      if (window?.burst !== undefined) this.markBurst(line, window);
      out.push(line);
      b.head++;
    }
    if (b.head === b.queue.length) {
      b.queue.length = 0;
      b.head = 0;
    } else if (b.head > 4096 && b.head * 2 > b.queue.length) {
      b.queue.splice(0, b.head);
      b.head = 0;
    }
  }

  /** A line of a burst: at least just above the flag, with the burst's reason after any of its own. */
  private markBurst(line: ScoredLine, w: BurstWindow): void {
    const score = this.bursts!.score;
    if (line.score < score) {
      line.score = score;
      line.severity = severityOf(score, this.thresholds);
      line.anomaly = line.severity !== 'normal';
    }
    line.burst = w.burst;
    const reason = burstReason(w);
    line.reasons = line.reasons.length ? [...line.reasons, reason] : [reason];
  }

  /** Parses, templates and featurizes a batch into one matrix (rows of header lines stay zero). */
  private featurize(raws: readonly string[], ts?: readonly (number | undefined)[]): Matrix {
    const n = raws.length;
    const cols = this.cols;
    if (this.matrix.length < n * cols) this.matrix = new Float64Array(n * cols);
    this.parsed.length = n;
    this.hits.length = n;
    this.entities.length = n;
    for (let i = 0; i < n; i++) {
      const p = this.parser.parse(raws[i]);
      if (p.ts === undefined && ts?.[i] !== undefined) p.ts = ts[i];
      this.parsed[i] = p;
      this.entities[i] = undefined;
      if (p.header) {
        this.hits[i] = HEADER_HIT;
        this.matrix.fill(0, i * cols, (i + 1) * cols);
        continue;
      }
      const hit = this.runtime.templates.lookup(p);
      this.hits[i] = hit;
      this.matrix.set(this.featurizer.fill(p, hit), i * cols);
      if (this.featurizer.web) this.entities[i] = this.featurizer.web.entity;
    }
    return { data: this.matrix.subarray(0, n * cols), rows: n, cols };
  }

  /** Calibrated score of each active member (or of `members`) that is there, for each row. */
  private scoreMembers(
    live: LiveMembers,
    X: Matrix,
    members: readonly Member[] = this.members,
  ): Partial<Record<Member, Float64Array>> {
    const out: Partial<Record<Member, Float64Array>> = {};
    for (const m of members) {
      const detector = live[m];
      const calibration = live.calibration[m];
      if (!detector || !calibration) continue;
      const raw = detector.scoreMatrix(X);
      for (let i = 0; i < raw.length; i++) raw[i] = calibrate(raw[i], calibration);
      out[m] = raw;
    }
    return out;
  }

  private scoreLine(
    i: number,
    raw: string,
    ts: number | undefined,
    X: Matrix,
    calibrated: Partial<Record<Member, Float64Array>>,
  ): ScoredLine {
    const p = this.parsed[i];
    const hit = this.hits[i];
    const line = this.lineOf(raw, ts ?? p.ts ?? 0, hit);
    if (p.header) return line;
    const memberScores = this.memberScores(calibrated, i);
    // A single member needs the row and the signals only for an anomaly's reasons.
    const ensembled = this.detector === 'ensemble';
    let row = ensembled ? X.data.subarray(i * X.cols, (i + 1) * X.cols) : undefined;
    let signals = row && this.signals(p, hit, row, this.entities[i]);
    const rare = this.runtime.rarity?.check(p, hit, this.runtime.templates.total);
    this.rate(line, memberScores, signals, rare?.score);
    if (line.anomaly) {
      row ??= X.data.subarray(i * X.cols, (i + 1) * X.cols);
      signals ??= this.signals(p, hit, row, this.entities[i]);
      this.explainLine(line, p, hit, row, signals, memberScores, rare?.findings);
    }
    return line;
  }

  /** A line as scored before its members and signals are read: normal. */
  private lineOf(raw: string, ts: number, hit: TemplateHit): ScoredLine {
    return {
      ts,
      line: raw,
      labels: this.labels,
      template: hit.template,
      score: 0,
      severity: 'normal',
      anomaly: false,
      reasons: NO_REASONS,
      detector: this.label,
      session: undefined,
      burst: undefined,
    };
  }

  /** The line's score and severity: its members' scores, with the signals when ensembled, or its rarity if higher. */
  private rate(line: ScoredLine, memberScores: MemberScore[], signals?: Signal[], rarity?: number): void {
    line.score = signals ? ensemble.combinedScore(memberScores, signals, this.thresholds) : memberScores[0].score;
    if (rarity !== undefined && rarity > line.score) line.score = rarity;
    line.severity = severityOf(line.score, this.thresholds);
    line.anomaly = line.severity !== 'normal';
  }

  /** An anomaly's reasons. */
  private explainLine(
    line: ScoredLine,
    p: ParsedLine,
    hit: TemplateHit,
    row: Float64Array,
    signals: Signal[],
    memberScores: MemberScore[],
    rarityFindings?: readonly { reason: string }[],
  ): void {
    line.reasons = this.reasons(p, hit, row, signals, memberScores);
    if (rarityFindings?.length) {
      // The rarity facts come first; the fallback "unusual combination" and the forest's template rarity say
      // nothing they do not.
      const rest = line.reasons.filter(
        (r) => !r.startsWith('unusual combination of values') && !r.startsWith('rare template "'),
      );
      line.reasons = [...new Set([...rarityFindings.map((f) => f.reason), ...rest])];
    }
  }

  /** The members' calibrated scores of row i, in one array reused from line to line (nothing keeps it). */
  private memberScores(calibrated: Partial<Record<Member, Float64Array>>, i: number): MemberScore[] {
    const out = this.scratch;
    for (let k = 0; k < this.members.length; k++) out[k].score = calibrated[this.members[k]]?.[i] ?? 0;
    return out;
  }

  private signals(p: ParsedLine, hit: TemplateHit, row: Float64Array, entity?: string): Signal[] {
    let rules = ruleSignals(this.model.featureSchema, p, row);
    // With a rarity model, a level counts only when it is unusual for the template (the rarity score says so).
    if (this.runtime.rarity && rules.length) rules = rules.filter((r) => r.kind !== 'error-level');
    const novel = this.runtime.novelty?.check({ template: hit.id, row }) ?? NO_SIGNALS;
    const out = rules.length === 0 ? novel : novel.length === 0 ? rules : [...rules, ...novel];
    return entity === undefined ? out : [...out, { kind: 'rule', strength: RULE_STRENGTH.population, reason: entity }];
  }

  private reasons(
    p: ParsedLine,
    hit: TemplateHit,
    row: Float64Array,
    signals: Signal[],
    scores: readonly MemberScore[],
  ): string[] {
    const { members } = this.runtime;
    const attributions: Attribution[] = [];
    for (const s of scores) {
      if (s.score < this.model.thresholds[s.name as Member].low) continue;
      if (s.name === 'iforest' && members.iforest)
        attributions.push({ kind: 'share', values: members.iforest.attribution(row) });
      if (s.name === 'autoencoder' && members.autoencoder)
        attributions.push({ kind: 'error', values: members.autoencoder.featureErrors(row) });
    }
    return explain({
      schema: this.model.featureSchema,
      stats: this.model.baselines.features,
      web: this.model.baselines.web,
      trainingLines: this.runtime.templates.total,
      parsed: p,
      hit,
      row,
      signals,
      attributions,
      ranges: this.model.novelty?.ranges,
    });
  }

  private hold(line: ScoredLine, hit: TemplateHit, ts: number | undefined): void {
    const s = this.sessions!;
    const held: Held = { line, template: hit.id, pending: false };
    s.queue.push(held);
    const key = this.runtime.sessions!.key.exec(line.line)?.[0];
    if (key === undefined) return;
    held.pending = true;
    line.session = key;
    s.tracker.add(key, ts, held);
  }

  /** Scores the sessions closed so far, then returns the queue's prefix of final lines. */
  private release(): ScoredLine[] {
    const s = this.sessions!;
    if (s.closed.length) {
      this.scoreSessions(s.closed.splice(0));
    }
    const out: ScoredLine[] = [];
    while (s.head < s.queue.length && !s.queue[s.head].pending) out.push(s.queue[s.head++].line);
    if (s.head > 4096 && s.head * 2 > s.queue.length) {
      s.queue.splice(0, s.head);
      s.head = 0;
    }
    return out;
  }

  private scoreSessions(closed: OpenSession<Held>[]): void {
    const rt = this.runtime.sessions!;
    const seqs = closed.map((c) => c.items.map((h) => h.template));
    const S = rt.vectorizer.transformAll(seqs);
    const calibrated = this.scoreMembers(rt.members, S);
    const shape = {
      lifecycle: rt.lifecycle,
      orderRules: rt.orderRules,
      text: (id: number) => this.runtime.templates.text(id),
    };
    closed.forEach((session, i) => {
      const memberScores = this.memberScores(calibrated, i);
      const findings = sessionFindings(seqs[i], shape).map((reason): Signal => ({
        kind: 'rule',
        strength: RULE_STRENGTH.sessionShape,
        reason,
      }));
      const signals = [...findings, ...rt.novelty.check({ session: seqs[i] })];
      const score =
        this.detector === 'ensemble'
          ? ensemble.combinedScore(memberScores, signals, this.thresholds)
          : memberScores[0].score;
      const severity = severityOf(score, this.thresholds);
      const reasons =
        severity === 'normal' ? NO_REASONS : signals.map((sig) => `session ${session.key}: ${sig.reason}`);
      if (severity !== 'normal' && reasons.length === 0) reasons.push(`session ${session.key}: unusual mix of steps`);
      for (const held of session.items) {
        held.pending = false;
        const line = held.line;
        if (score > line.score) {
          line.score = score;
          line.severity = severity;
          line.anomaly = severity !== 'normal';
        }
        if (reasons.length) line.reasons = [...reasons, ...line.reasons];
      }
    });
  }
}

const NO_SIGNALS: Signal[] = [];
const HEADER_HIT: TemplateHit = { id: -1, template: '<header>', params: [], count: 0 };

/** A copy of `a` in an array of `length` values. */
function grown<T extends Float64Array | Int32Array>(a: T, length: number): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a);
  return b;
}
