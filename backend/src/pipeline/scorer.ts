import { Budget, type BudgetShare } from '../budget.js';
import { HeadQueue } from '../head-queue.js';
import { calibrate, DEFAULT_THRESHOLDS, severityOf, type Thresholds } from '../detectors/calibration.js';
import * as ensemble from '../detectors/ensemble.js';
import { BurstTracker, burstReason, type BurstWindow } from '../detectors/burst.js';
import { episodeReason, episodesOf, EpisodeTracker } from '../detectors/episode.js';
import { FanoutWatch } from '../detectors/fanout.js';
import type { MemberScore, Signal } from '../detectors/ensemble.js';
import { explain, RULE_STRENGTH, ruleSignals, type Attribution } from '../explain/index.js';
import { sessionFindings } from '../explain/session.js';
import { keywordMask, LineFeaturizer, WEB, type WebFeatures } from '../features/index.js';
import { LEVELS, levelRank } from '../parsing/level.js';
import type { TemplateHit } from '../templates/index.js';
import type { Member, Model } from '../models/model.js';
import { createParser, isBlank, type LineParser } from '../parsing/index.js';
import type { DetectorKind, Matrix, ParsedLine, ScoredLine } from '../types.js';
import { activeMembers, runtimeOf, type LiveMembers, type ModelRuntime } from './runtime.js';
import { SessionTracker, type OpenSession } from './sessions.js';

export interface ScorerOptions {
  labels?: Record<string, string>;
  /** One member of the model, or `ensemble` (all members with the novelty and rule signals). Default: the model's. */
  detector?: DetectorKind;
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
   * `sightings`: the lines of episodic templates before the block that this scorer did not see, as `episodeSightings`
   * read them (the last time of each). Returns the lines held for bursts, now final.
   */
  cut(sightings?: readonly Sighting[]): ScoredLine[];
  /** Reads a line without scoring it: a directive another part scores, which says how to read the lines after it. */
  read(raw: string): void;
}

/** A line of an episodic template: its template and time. */
export type Sighting = readonly [template: number, ts: number];

/**
 * Finds the lines of a model's episodic templates (detectors/episode.ts) without scoring them, for a scan that deals
 * blocks of lines to parts: each part starts a block knowing when each episode was last seen, so that an episode
 * spanning two parts' blocks starts once, as on one part. A line is parsed and matched only when its text holds one
 * of the templates' needles (TemplateIndex.needles), or every line when a template has none. undefined when the
 * model has no episodic template.
 */
export function episodeSightings(model: Model): EpisodeSightings | undefined {
  const runtime = runtimeOf(model);
  const rarity = runtime.rarity;
  if (!rarity || !countsBursts(model)) return undefined;
  const episodic = episodesOf(rarity.templateStats, rarity.trainingSpan);
  if (episodic.size === 0) return undefined;
  const needles = [...episodic.keys()].map((id) => runtime.templates.needles(id));
  // One alternation of literals: 0.15 µs a line for 200 needles, where 200 `includes` took 4.8 µs.
  const anyNeedle = needles.every((n) => n !== undefined)
    ? new RegExp(
        needles
          .flat()
          .map((n) => n.replace(/[$()*+.?[\\\]^{|}]/g, '\\$&'))
          .join('|'),
      )
    : undefined;
  const parser = modelParser(model);
  return {
    everyLine: anyNeedle === undefined,
    of: (line) => {
      if (anyNeedle && !anyNeedle.test(line)) return undefined;
      const p = parser.parse(line);
      if (p.header || p.ts === undefined || !Number.isFinite(p.ts)) return undefined;
      const id = runtime.templates.lookup(p).id;
      return episodic.has(id) ? [id, p.ts] : undefined;
    },
  };
}

/** How a reader finds the lines of a model's episodic templates (episodeSightings). */
export interface EpisodeSightings {
  of: (line: string) => Sighting | undefined;
  /** Some episodic template has no needle: every line is parsed and matched, not only those holding a needle. */
  everyLine: boolean;
}

/** The parser of a model's lines, as its scorer reads them. */
export function modelParser(model: Model): LineParser {
  const { header, preamble, pattern, dateOrder, envelope } = model.parserState;
  return createParser(model.format, {
    sample: header === undefined ? undefined : [header],
    preamble,
    pattern,
    dateOrder,
    envelope,
  });
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
 * Below the flag, what the members and signals say counts a little less than rarity. A member's most unusual training
 * rows sit just under `low`, and so does a template as rare as rarity's cut (0.99 x low): on loghub HealthApp, 11
 * lines of templates seen 5-6 times (a member's top) ranked above 40 seen once (rare-event AP 0.69 -> 0.90 at seed
 * 1; 0.83 -> 0.95 at seeds 2-3). Flags do not move: only scores under `low` are scaled.
 */
const MEMBERS_BELOW_FLAG = 0.98;
/**
 * Below the flag, the members also order the lines rarity scores alike (every template as rare as its floor sits at
 * 0.99 x low), by a nudge small enough not to reorder lines rarity tells apart, and never to the flag. Rare-event AP on
 * the loghub files (7 Dec 2026): Linux 0.920 -> 0.937, Zookeeper 0.772 -> 0.781, Android 0.788 -> 0.817, Thunderbird
 * 0.805 -> 0.815, HPC 0.834 -> 0.817, Mac and BGL -0.001, the rest unchanged; at 0.02 it reorders what rarity told
 * apart (Linux 0.870, BGL 0.828, Thunderbird 0.739).
 */
const MEMBERS_BREAK_TIES = 0.002;
/**
 * Lines held for bursts by all the scorers of the process together: 1,000 streams at 50 lines/s each held 0.6-1.2M
 * lines (about 0.9 KB each) at the peak in bench/streams.bench.ts, and the RSS reached 1.7-2.0 GB. Past this, a
 * scorer lets the lines it holds go as they stand (a burst's first lines then leave unmarked; its later ones are
 * still marked).
 */
const heldLines = new Budget(100_000);

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
  /**
   * Per row of the batch: what the line's stream says of it, beside the row (rule signals): a web client far from the
   * crowd, a probe, a query parameter its route never took (features/web.ts); a source sweeping destinations
   * (detectors/fanout.ts).
   */
  private streamSignals: (Signal[] | undefined)[] = [];
  /** Network sensors' logs: the sources' destinations per minute. */
  private readonly fanout?: FanoutWatch;
  private readonly sessions?: {
    tracker: SessionTracker<Held>;
    closed: OpenSession<Held>[];
    queue: HeadQueue<Held>;
  };
  /** System logs without sessions: bursts of templates in the lines scored. */
  private readonly bursts?: {
    tracker: BurstTracker;
    episodes: EpisodeTracker;
    queue: HeadQueue<Pending>;
    score: number;
    held: BudgetShare;
  };

  constructor(
    private readonly runtime: ModelRuntime,
    opts: ScorerOptions,
  ) {
    const model = (this.model = runtime.model);
    this.detector = opts.detector ?? model.detector;
    this.members = activeMembers(model, this.detector);
    this.thresholds = model.thresholds[this.detector];
    this.label = `${model.name}/${this.detector}@${model.trainedOn.sha256.slice(0, 8)}`;
    this.labels = opts.labels ?? {};
    this.parser = modelParser(model);
    // Counted per block of lines as bursts are (cut), so that a scan on any number of threads finds the same sweeps.
    if (model.fanout && countsBursts(model)) this.fanout = new FanoutWatch(model.fanout);
    this.featurizer = new LineFeaturizer(model.featureSchema, runtime.templates, model.baselines.web);
    this.cols = model.featureSchema.names.length;
    this.scratch = this.members.map((name) => ({ name, score: 0 }));
    if (runtime.sessions) {
      const closed: OpenSession<Held>[] = [];
      this.sessions = {
        tracker: new SessionTracker<Held>((s) => closed.push(s), runtime.sessions.idleMs),
        closed,
        queue: new HeadQueue(),
      };
    }
    const rarity = runtime.rarity;
    if (rarity && countsBursts(model))
      this.bursts = {
        tracker: new BurstTracker((id) => rarity.paceOf(id)),
        episodes: new EpisodeTracker(episodesOf(rarity.templateStats, rarity.trainingSpan)),
        queue: new HeadQueue(),
        score: Math.max(this.onOwnScale(rarity.burstScore()), this.thresholds.low),
        held: heldLines.share(this),
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
    if (this.bursts) {
      const out: ScoredLine[] = [];
      for (let i = 0; i < n; i++) {
        const line = this.scoreLine(i, raws[i], ts?.[i], X, calibrated);
        const p = this.parsed[i];
        const onset = p.header ? undefined : this.bursts.episodes.onset(this.hits[i].id, p.ts);
        if (onset && troubled(p)) this.markAtFlag(line, episodeReason(onset));
        const window = p.header ? undefined : this.bursts.tracker.observe(this.hits[i].id, p.ts);
        this.bursts.queue.push({ line, window });
        this.bursts.held.add();
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

  cut(sightings: readonly Sighting[] = []): ScoredLine[] {
    this.bursts?.tracker.reset();
    this.fanout?.reset();
    for (const [template, ts] of sightings) this.bursts?.episodes.seen(template, ts);
    return this.flush();
  }

  read(raw: string): void {
    this.parser.parse(raw);
  }

  /**
   * Moves the held lines that are final to `out`, in order: a line is final once its burst window is closed, or when
   * more than MAX_HELD lines wait, or the process holds its budget of lines (or `all`). A line of a burst minute is
   * marked as it leaves.
   */
  private releaseBursts(out: ScoredLine[], all: boolean): void {
    const b = this.bursts!;
    const q = b.queue;
    let taken = 0;
    for (let next = q.peek(); next; next = q.peek()) {
      const { line, window } = next;
      if (window && !window.closed && !all && q.length <= MAX_HELD && !b.held.exhausted) break;
      if (window?.burst !== undefined) {
        line.burst = window.burst;
        this.markAtFlag(line, burstReason(window));
      }
      out.push(q.shift().line);
      taken++;
    }
    b.held.remove(taken);
  }

  /** A line of a burst, or one starting an episode: at least just above the flag, with `reason` after its own. */
  private markAtFlag(line: ScoredLine, reason: string): void {
    const score = this.bursts!.score;
    if (line.score < score) {
      line.score = score;
      line.severity = severityOf(score, this.thresholds);
      line.anomaly = line.severity !== 'normal';
    }
    line.reasons = line.reasons.length ? [...line.reasons, reason] : [reason];
  }

  /** Parses, templates and featurizes a batch into one matrix (rows of header lines stay zero). */
  private featurize(raws: readonly string[], ts?: readonly (number | undefined)[]): Matrix {
    const n = raws.length;
    const cols = this.cols;
    if (this.matrix.length < n * cols) this.matrix = new Float64Array(n * cols);
    this.parsed.length = n;
    this.hits.length = n;
    this.streamSignals.length = n;
    for (let i = 0; i < n; i++) {
      const p = this.parser.parse(raws[i]);
      if (p.ts === undefined && ts?.[i] !== undefined) p.ts = ts[i];
      this.parsed[i] = p;
      this.streamSignals[i] = undefined;
      if (p.header) {
        this.hits[i] = p.continued ? CONTINUED_HIT : isBlank(p.raw) ? BLANK_HIT : HEADER_HIT;
        this.matrix.fill(0, i * cols, (i + 1) * cols);
        continue;
      }
      const hit = this.runtime.templates.lookup(p);
      this.hits[i] = hit;
      this.matrix.set(this.featurizer.fill(p, hit), i * cols);
      if (this.featurizer.web) this.streamSignals[i] = crowdSignals(this.featurizer.web);
      const sweep = this.fanout?.check(p);
      if (sweep !== undefined)
        this.streamSignals[i] = [{ kind: 'rule', strength: RULE_STRENGTH.fanout, reason: sweep }];
    }
    return { data: this.matrix.subarray(0, n * cols), rows: n, cols };
  }

  /** Calibrated score of each active member for each row. */
  private scoreMembers(live: LiveMembers, X: Matrix): Partial<Record<Member, Float64Array>> {
    const out: Partial<Record<Member, Float64Array>> = {};
    for (const m of this.members) {
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
    const line: ScoredLine = {
      ts: ts ?? p.ts ?? 0,
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
      level: p.level,
      format: p.format,
    };
    if (p.header) return line;
    const memberScores = this.memberScores(calibrated, i);
    // A single member needs the row and the signals only for an anomaly's reasons.
    const ensembled = this.detector === 'ensemble';
    let row = ensembled ? X.data.subarray(i * X.cols, (i + 1) * X.cols) : undefined;
    let signals = row && this.signals(p, hit, row, i);
    line.score = signals ? ensemble.combinedScore(memberScores, signals, this.thresholds) : memberScores[0].score;
    const rare = this.runtime.rarity?.check(p, hit, this.runtime.templates.total);
    if (rare) {
      const below = line.score < this.thresholds.low ? line.score * MEMBERS_BELOW_FLAG : line.score;
      line.score = Math.max(below, this.onOwnScale(rare.score));
      if (line.score < this.thresholds.low)
        line.score = Math.min(line.score + MEMBERS_BREAK_TIES * below, this.thresholds.low - 1e-4);
    }
    line.severity = severityOf(line.score, this.thresholds);
    line.anomaly = line.severity !== 'normal';
    if (line.anomaly) {
      row ??= X.data.subarray(i * X.cols, (i + 1) * X.cols);
      signals ??= this.signals(p, hit, row, i);
      line.reasons = this.reasons(p, hit, row, signals, memberScores);
      if (rare?.findings.length) {
        // The rarity facts come first; the fallback "unusual combination" and the forest's template rarity say
        // nothing they do not.
        const rest = line.reasons.filter(
          (r) => !r.startsWith('unusual combination of values') && !r.startsWith('rare template "'),
        );
        line.reasons = [...new Set([...rare.findings.map((f) => f.reason), ...rest])];
      }
    }
    return line;
  }

  /** A rarity score (on the ensemble's default bands) on the bands of the detector that scores. */
  private onOwnScale(rarityScore: number): number {
    return ensemble.rescale(rarityScore, DEFAULT_THRESHOLDS.ensemble, this.thresholds);
  }

  /** The members' calibrated scores of row i, in one array reused from line to line (nothing keeps it). */
  private memberScores(calibrated: Partial<Record<Member, Float64Array>>, i: number): MemberScore[] {
    const out = this.scratch;
    for (let k = 0; k < this.members.length; k++) out[k].score = calibrated[this.members[k]]?.[i] ?? 0;
    return out;
  }

  /** The signals of row i of the batch. */
  private signals(p: ParsedLine, hit: TemplateHit, row: Float64Array, i: number): Signal[] {
    const { templates } = this.runtime;
    let rules = ruleSignals(this.model.featureSchema, p, row, hit.count, templates.total, templates.unparsedLines());
    // With a rarity model, a level counts only when it is unusual for the template (the rarity score says so).
    if (this.runtime.rarity && rules.length) rules = rules.filter((r) => r.kind !== 'error-level');
    // A web row says whether its route is novel (features/web.ts: a new page read as pages are is not).
    const template = this.featurizer.web && row[WEB.template_novel] === 0 ? undefined : hit.id;
    const novel = this.runtime.novelty?.check({ template, row }) ?? NO_SIGNALS;
    const out = rules.length === 0 ? novel : novel.length === 0 ? rules : [...rules, ...novel];
    const stream = this.streamSignals[i];
    return stream === undefined ? out : [...out, ...stream];
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
    for (let next = s.queue.peek(); next && !next.pending; next = s.queue.peek()) out.push(s.queue.shift().line);
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

/**
 * An episode worth an alarm: its line is WARN or worse, or says trouble (a keyword). BGL's episodes of INFO
 * diagnostics (`... total interrupts`, `... microseconds spent in the rbs signal handler`) are no alert in its own
 * labels; its `data TLB error interrupt` (FATAL) is.
 */
function troubled(p: ParsedLine): boolean {
  return levelRank(p.level) >= WARN || keywordMask(p.message) !== 0;
}
const WARN = LEVELS.indexOf('warn');

const NO_SIGNALS: Signal[] = [];
const HEADER_HIT: TemplateHit = { id: -1, template: '<header>', params: [], count: 0 };
const CONTINUED_HIT: TemplateHit = { id: -1, template: '<continued>', params: [], count: 0 };
const BLANK_HIT: TemplateHit = { id: -1, template: '<blank>', params: [], count: 0 };

/** What the web featurizer found of its last line beside its row, as rule signals; undefined when nothing. */
function crowdSignals(web: WebFeatures): Signal[] | undefined {
  const { entity, probe, unseenParam } = web;
  if (entity === undefined && probe === undefined && unseenParam === undefined) return undefined;
  const found: Signal[] = [];
  if (entity !== undefined) found.push({ kind: 'rule', strength: RULE_STRENGTH.population, reason: entity });
  if (probe !== undefined) found.push({ kind: 'rule', strength: RULE_STRENGTH.loneRoute, reason: probe });
  if (unseenParam !== undefined) found.push({ kind: 'rule', strength: RULE_STRENGTH.unseenParam, reason: unseenParam });
  return found;
}
