import { LEVELS, levelRank } from '../parsing/level.js';
import { clip } from '../parsing/text.js';
import type { TemplateHit } from '../templates/template-index.js';
import type { TemplatePace, TemplateProfileState, TemplateStats } from '../templates/profile.js';
import type { ParsedLine } from '../types.js';
import { DEFAULT_THRESHOLDS } from './calibration.js';

/**
 * How surprising a system log line is given what the stream usually says, in bits (-log2 of a probability), summed
 * over independent facts:
 * - the template's share of training lines (a template in 1 line of 2,000 is 11 bits; one never seen rates above
 *   the rarest);
 * - the line's level for that template, when it is WARN or worse: a routine ERROR line (hundreds of ERROR lines of
 *   that template in training) adds nothing; ERROR on a template that was INFO 340 times adds about 9 bits;
 * - a parameter value rare for a parameter that usually takes few values;
 * - a message length far outside the template's usual one (robust: median and MAD) and beyond what at least two of
 *   its training lines reached;
 * - gross outliers whatever the template: binary or non-printable content, a line far longer than the stream's.
 * A FATAL-level line (CRITICAL, EMERG, ALERT, PANIC) weighs FATAL_BITS more whatever its template: one of a template
 * FATAL in training is flagged where that template is 8 times rarer than an INFO one would need to be.
 * The score is continuous in the bits; `low` (the anomaly flag) starts where at most `lowRate` of the training lines
 * lie and never below a floor (a template share of about 1 in 10,000, or 2 lines of a small file).
 */
export interface RarityState {
  version: 1;
  profile: TemplateProfileState;
  /** Bits a line must exceed to be an anomaly. */
  lowBits: number;
}

export interface RarityFinding {
  kind: 'template' | 'level' | 'param' | 'length' | 'binary' | 'line-length';
  bits: number;
  reason: string;
}

export interface RarityResult {
  bits: number;
  score: number;
  findings: RarityFinding[];
}

export interface RarityFitOptions {
  /** Largest share of training lines allowed to reach `low` (default 1.5%). */
  lowRate?: number;
}

/** Weight of level evidence: an unusual WARN counts half, an unusual FATAL one and a half. */
const LEVEL_WEIGHT = [0, 0, 0.5, 1, 1.5];
/** Prior weight (in lines) of the stream-wide level mix in a template's level mix. */
const LEVEL_PRIOR = 2;
const MIN_PARAM_LINES = 8;
const MAX_PARAM_BITS = 10;
const MIN_LENGTH_LINES = 5;
const LENGTH_Z = 4;
const MAX_LENGTH_BITS = 12;
/** How far a stored length can be from the one it rounds (profile.ts keeps three decimals). */
const ROUNDED = 5e-4;
const GROSS_BITS = 24;
/**
 * Bits per doubling of a line's length past the stream's limit: a 5 MB line is gross, a Java daemon's start-up
 * classpath (Hadoop's `STARTUP_MSG: classpath = ...`, 26,488 characters where its lines run to 122) is one long
 * line in a start, and took 24 bits, critical, at each start.
 */
const LINE_LENGTH_BITS = 4;
// eslint-disable-next-line no-control-regex
const ODD_CHAR = /[\x00-\x08\x0a-\x1f\x7f-\x9f\ufffd]/;
const BINARY_SHARE = 0.05;
const BINARY_CHARS = 4096;
/** Bits above `low` that take the score a further (1 - 1/e) of the way to 1. */
const SCALE_BITS = 6;
const MAX_FLOOR_LINES = 10_000;
/** Bits above `low` of a line of a burst: just above the flag. */
const FLAG_BITS = 0.25;
/** Where the floor's bits score, as a share of `low`: above the members' scores below the flag (at most 0.98 x low). */
const NEAR_LOW = 0.985;
const FATAL = LEVELS.indexOf('fatal');
/**
 * What a FATAL level says whatever the template. Not a floor at `low`: measured on the loghub samples, flagging every
 * FATAL line put Linux's 43 daily logrotate `ALERT exited abnormally` lines above its rare events (rare-event AP 0.98
 * -> 0.54, flagged 0.3% -> 2.5%). Counted in the cut's fit too, so a FATAL-heavy stream still has at most `lowRate`
 * of its training lines flagged. It fades where FATAL is common (see fatalBits), and where the template is.
 */
const FATAL_BITS = 3;
/**
 * Template bits (-log2 of its share of the lines) under which FATAL_BITS fades, from all of it at 8 (1 line in 256) to
 * none at 5 (1 in 32). A small file compresses rarity: a template seen once in 250 lines is 8 bits, and Linux's daily
 * `logrotate: ALERT exited abnormally` (6 lines of 250, 5.4 bits) ranked above every one of them with the full 3
 * bits. loghub 2k cut in files of 250 lines (`bench/foreign.bench.ts --slice 250`): rare-event AP Linux 0.705 ->
 * 0.842, HPC 0.917 -> 0.934, the rest unchanged; the whole files unchanged (a template FATAL 6 times in 2,000 lines,
 * 8.4 bits, keeps all 3).
 */
const ROUTINE_FATAL_BITS = [5, 8] as const;
/**
 * Training lines the cut lets above it at the least, whatever `lowRate` leaves: 1.5% of a file of under 200 lines is
 * one or two, and lines that tie at the cut all fall under it. A real Suricata fast.log of 155 lines held three
 * alerts seen once (a router backdoor, a trojan's check-in, an NTP flood): only the one with other evidence was flagged.
 */
const MIN_ALLOWED = 3;

const { low } = DEFAULT_THRESHOLDS.ensemble;

export class Rarity {
  /** Where scoreOf's scale turns from the floor's segment to the cut's (the floor, or the cut when lower). */
  private readonly floor: number;

  private constructor(
    private readonly profile: TemplateProfileState,
    readonly lowBits: number,
  ) {
    this.floor = Math.min(floorBits(profile.lines), lowBits);
  }

  /**
   * Fits the `low` cut from the profile: the training lines' template and level bits (parameters and lengths only
   * add, so the cut is where at most `lowRate` of training lines lie on these two alone).
   */
  static fit(
    profile: TemplateProfileState,
    templateCounts: (id: number) => number,
    total: number,
    opts: RarityFitOptions = {},
  ): Rarity {
    const lowRate = opts.lowRate ?? 0.015;
    const probe = new Rarity(profile, Infinity);
    const groups: { bits: number; n: number }[] = [];
    for (const [id, t] of Object.entries(profile.templates)) {
      const tBits = templateBits(templateCounts(Number(id)), total);
      t.levels.forEach((n, rank) => {
        if (n > 0) groups.push({ bits: tBits + probe.levelBits(t, rank) + probe.fatalBits(t, rank), n });
      });
    }
    groups.sort((a, b) => b.bits - a.bits);
    const allowed = Math.max(MIN_ALLOWED, Math.floor(lowRate * profile.lines));
    let above = 0;
    let cut = 0;
    for (const g of groups) {
      if (above + g.n > allowed) {
        cut = g.bits;
        break;
      }
      above += g.n;
    }
    return new Rarity(profile, Math.max(floorBits(total), cut));
  }

  /** The surprise of one line; `findings` are the facts behind it, biggest first (empty for a routine line). */
  check(p: ParsedLine, hit: TemplateHit, total: number): RarityResult {
    const findings: RarityFinding[] = [];
    const t = hit.id >= 0 ? this.profile.templates[hit.id] : undefined;
    const tBits = templateBits(hit.count, total);
    let bits = tBits;
    if (tBits >= this.lowBits - 2) {
      findings.push({
        kind: 'template',
        bits: tBits,
        reason:
          hit.count === 0
            ? 'new template never seen in training'
            : `rare template: seen ${plural(hit.count, 'time')} in ${fmtInt(total)} training lines`,
      });
    }
    const rank = levelRank(p.level);
    if (rank >= 2) {
      const lBits = t ? this.levelBits(t, rank) : LEVEL_WEIGHT[rank] * -Math.log2(this.globalLevelShare(rank));
      if (lBits >= 3) {
        const name = LEVELS[rank].toUpperCase();
        findings.push({
          kind: 'level',
          bits: lBits,
          reason:
            t && t.n > 2
              ? `${name} is unusual for this template (${t.levels[rank]} of ${fmtInt(t.n)} in training)`
              : `${name} is unusual in this stream (${fmtInt(this.profile.levels[rank])} of ${fmtInt(this.profile.lines)} training lines)`,
        });
      }
      bits += lBits;
      const fatalBits = this.fatalBits(t, rank);
      if (fatalBits > 0) {
        bits += fatalBits;
        if (lBits < 3) {
          const seen = t ? ` (usual for this template: ${t.levels[rank]} of ${fmtInt(t.n)} in training)` : '';
          findings.push({ kind: 'level', bits: fatalBits, reason: `FATAL-level line${seen}` });
        }
      }
    }
    if (t) {
      const param = this.paramFinding(t, hit.params);
      if (param) {
        findings.push(param);
        bits += param.bits;
      }
    }
    const gross = this.grossFinding(p.raw);
    if (gross) {
      findings.push(gross);
      bits += gross.bits;
    }
    // A line far longer than the stream's says what a message far longer than its template's would, once.
    const length = t && gross?.kind !== 'line-length' ? lengthFinding(t, p.message.length) : undefined;
    if (length) {
      findings.push(length);
      bits += length.bits;
    }
    findings.sort((a, b) => b.bits - a.bits);
    return { bits, score: this.scoreOf(bits), findings };
  }

  /** The template's usual pace (detectors/burst.ts); undefined without timestamps or in older models. */
  paceOf(template: number): TemplatePace | undefined {
    const t = this.profile.templates[template];
    return t?.rate === undefined ? undefined : { rate: t.rate, share: t.n / this.profile.lines };
  }

  /** What training saw of each template, by template id. */
  get templateStats(): Readonly<Record<string, TemplateStats>> {
    return this.profile.templates;
  }

  /** Milliseconds the training lines spanned; undefined without timestamps or in older models. */
  get trainingSpan(): number | undefined {
    return this.profile.span;
  }

  /** The score of a burst's line: just above the flag, so one event ranks below a line rare on its own. */
  burstScore(): number {
    return this.scoreOf(this.lowBits + FLAG_BITS);
  }

  /**
   * Continuous in the bits, no plateau: up to the floor (a template as rare as 2 lines of a small file), to just
   * below `low` (the scorer's members stay under it there, pipeline/scorer.ts); from the floor to the cut, the last
   * 1% below `low`; then towards 1. The cut sits far above the floor where many rare lines are FATAL: on loghub BGL
   * (347 FATAL lines in 2,000) it was 17.8 bits, and scaled from 0 to it an INFO template seen once (11 bits) scored
   * 0.62 x low, under 60-odd lines of common templates. With fatalBits, rare-event AP 0.71 -> 0.85 (0.82 without
   * this scaling).
   */
  scoreOf(bits: number): number {
    if (!(bits > 0)) return 0;
    const floor = this.floor;
    if (bits <= floor) return NEAR_LOW * low * (bits / floor);
    if (bits <= this.lowBits) return low * (NEAR_LOW + (0.99 - NEAR_LOW) * ((bits - floor) / (this.lowBits - floor)));
    return low + (1 - low) * (1 - Math.exp(-(bits - this.lowBits) / SCALE_BITS));
  }

  /**
   * FATAL_BITS where FATAL is rare in the stream, less by as much as FATAL's own surprise falls short of 2 x
   * FATAL_BITS, none where one line in 8 or more is FATAL: on loghub BGL (347 FATAL lines in 2,000) the full 3 bits put
   * 100-odd FATAL lines of templates seen 3-4 times above its INFO templates seen once (rare-event AP 0.71 -> 0.82).
   * None for a template common in the stream (see ROUTINE_FATAL_BITS); 0 for another level.
   */
  private fatalBits(t: TemplateStats | undefined, rank: number): number {
    if (rank !== FATAL) return 0;
    const surprise = -Math.log2(this.globalLevelShare(FATAL));
    const [none, all] = ROUTINE_FATAL_BITS;
    const kept = t ? Math.min(1, Math.max(0, (templateBits(t.n, this.profile.lines) - none) / (all - none))) : 1;
    return Math.min(FATAL_BITS, Math.max(0, surprise - FATAL_BITS)) * kept;
  }

  private globalLevelShare(rank: number): number {
    return (this.profile.levels[rank] + 0.5) / (this.profile.lines + 2.5);
  }

  /**
   * -log2 of the level's share in the template (with the stream's mix as a prior), weighted by level. Leave one out:
   * the line scored may be one of the training lines (a self-trained scan), and must not vouch for itself, so a
   * FATAL line whose template training saw once is as unusual as FATAL is in the stream.
   */
  levelBits(t: TemplateStats, rank: number): number {
    if (rank < 2) return 0;
    const others = Math.max(0, t.levels[rank] - 1);
    const share = (others + LEVEL_PRIOR * this.globalLevelShare(rank)) / (Math.max(0, t.n - 1) + LEVEL_PRIOR);
    return LEVEL_WEIGHT[rank] * Math.max(0, -Math.log2(share));
  }

  private paramFinding(t: TemplateStats, params: readonly string[]): RarityFinding | undefined {
    if (t.n < MIN_PARAM_LINES) return undefined;
    let best: RarityFinding | undefined;
    for (let i = 0; i < params.length && i < t.params.length; i++) {
      const values = t.params[i];
      if (!values) continue;
      const distinct = Object.keys(values).length;
      const c = values[params[i]] ?? 0;
      const bits = Math.min(MAX_PARAM_BITS, -Math.log2((c + 0.5) / (t.n + 1)) - Math.log2(distinct + 1));
      if (bits >= 3 && (!best || bits > best.bits)) {
        best = {
          kind: 'param',
          bits,
          reason: `value "${clip(params[i], 40)}" is rare for this template (${c} of ${fmtInt(t.n)} in training; usually ${topValue(values)})`,
        };
      }
    }
    return best;
  }

  private grossFinding(raw: string): RarityFinding | undefined {
    const n = Math.min(raw.length, BINARY_CHARS);
    let odd = 0;
    // Most lines have no odd character at all: one native scan says so before the count.
    if (ODD_CHAR.test(n < raw.length ? raw.slice(0, n) : raw))
      for (let i = 0; i < n; i++) {
        const c = raw.charCodeAt(i);
        if ((c < 32 && c !== 9) || (c >= 0x7f && c <= 0x9f) || c === 0xfffd) odd++;
      }
    if (n > 0 && odd / n >= BINARY_SHARE) {
      return {
        kind: 'binary',
        bits: GROSS_BITS,
        reason: `binary or non-printable content (${Math.round((100 * odd) / n)}% of the characters)`,
      };
    }
    const { median, p999 } = this.profile.lineLength;
    const limit = Math.max(8 * p999, 64 * median, 2048);
    if (raw.length > limit) {
      return {
        kind: 'line-length',
        bits: Math.min(GROSS_BITS, LINE_LENGTH_BITS * Math.log2(raw.length / limit)),
        reason: `line of ${fmtInt(raw.length)} characters, far longer than this stream's lines (typical ${fmtInt(median)}, 99.9% under ${fmtInt(p999)})`,
      };
    }
    return undefined;
  }

  toJSON(): RarityState {
    return { version: 1, profile: this.profile, lowBits: this.lowBits };
  }

  static fromJSON(s: RarityState): Rarity {
    if (s?.version !== 1 || !s.profile) throw new Error('Rarity.fromJSON: not a rarity state');
    return new Rarity(s.profile, s.lowBits);
  }
}

/** The least `low` cut: a template share of 2 lines of a small file, about 1 in 10,000 of a large one. */
function floorBits(total: number): number {
  return Math.log2(Math.min(Math.max(total, 2) / 2, MAX_FLOOR_LINES)) + 0.5;
}

/** -log2 of a template's share of the training lines; a template never seen rates as half a line. */
export function templateBits(count: number, total: number): number {
  const t = Math.max(total, 1);
  return Math.log2(t / (count > 0 ? count : 0.5));
}

function lengthFinding(t: TemplateStats, length: number): RarityFinding | undefined {
  if (t.n < MIN_LENGTH_LINES) return undefined;
  const v = Math.log2(1 + length);
  if (t.lenSeen && v >= t.lenSeen[0] - ROUNDED && v <= t.lenSeen[1] + ROUNDED) return undefined;
  const spread = Math.max(1.4826 * t.lenMad, 0.15);
  const z = Math.abs(v - t.lenMedian) / spread;
  if (z <= LENGTH_Z) return undefined;
  const typical = Math.round(Math.pow(2, t.lenMedian) - 1);
  return {
    kind: 'length',
    bits: Math.min(MAX_LENGTH_BITS, z - LENGTH_Z),
    reason: `message of ${fmtInt(length)} characters, far ${v > t.lenMedian ? 'longer' : 'shorter'} than this template's usual ${fmtInt(typical)}`,
  };
}

function topValue(values: Record<string, number>): string {
  let best = '';
  let n = -1;
  for (const [v, c] of Object.entries(values)) if (c > n) [best, n] = [v, c];
  const shown = best.length > 40 ? `${best.slice(0, 40)}…` : best;
  return `"${shown}", ${n} times`;
}

function plural(n: number, word: string): string {
  return `${fmtInt(n)} ${word}${n === 1 ? '' : 's'}`;
}

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
