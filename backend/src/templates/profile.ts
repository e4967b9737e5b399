import { LEVELS, levelRank } from '../parsing/level.js';
import type { ParsedLine } from '../types.js';
import type { TemplateHit } from './template-index.js';

/**
 * What training says is routine for each template of a system log: how many lines it had, at which levels, how long
 * its messages are, and which values each low-cardinality parameter took. Learnt from the sampled training lines
 * with the final templates, so parameter positions are those scoring sees.
 */
export interface TemplateProfileState {
  version: 1;
  /** Lines profiled. */
  lines: number;
  /** Lines per level rank (debug .. fatal), over all templates. */
  levels: number[];
  templates: Record<string, TemplateStats>;
  /** Line length (characters) of the stream: median and the 99.9th percentile. */
  lineLength: { median: number; p999: number; max: number };
  /** Minutes in which a template ran far above its own usual rate (see BURST_*); absent in older models. */
  bursts?: Burst[];
}

/**
 * A run of consecutive minutes [from, to) (epoch ms) in which template `id` had at least BURST_MIN lines a minute
 * and BURST_RATIO times its usual rate: the 90th percentile of its lines per minute over the minutes in which it
 * appears at all (so a template that often comes in flurries, as a brute-force storm of `authentication failure`
 * or a browser's connections, is measured against its flurries). Not in the template's first minute (a program
 * starting up), and at most 10% of the lines in bursts, the steepest first.
 */
export interface Burst {
  id: number;
  from: number;
  to: number;
  /** Most lines in one minute of the run, and lines in the whole run. */
  peak: number;
  lines: number;
  /** The template's usual lines per active minute (90th percentile). */
  baseline: number;
}

const MINUTE = 60_000;
const BURST_MIN = 10;
const BURST_RATIO = 10;
/** The usual rate is a high quantile of the active minutes' counts: a template whose flurries are routine (a browser
 * opening many connections at once) is measured against its flurries. */
const BURST_BASELINE_Q = 0.9;
const BURST_SHARE = 0.1;

export interface TemplateStats {
  n: number;
  /** Lines per level rank (debug .. fatal). */
  levels: number[];
  /** Median and median absolute deviation of log2(1 + message length). */
  lenMedian: number;
  lenMad: number;
  /** Per parameter position: value -> count, or null once it has more than MAX_VALUES distinct values (an id). */
  params: (Record<string, number> | null)[];
}

/** A parameter with more distinct values than this is an identifier: its values say nothing about rarity. */
const MAX_VALUES = 16;
/** Lengths kept per template for the robust median (the first ones: deterministic). */
const MAX_LENGTHS = 512;

interface Builder {
  minutes: Map<number, number>;
  /** The minute of the template's first line in input order (timestamps without a year can go backwards). */
  firstMinute?: number;
  n: number;
  levels: number[];
  lengths: number[];
  params: (Map<string, number> | null)[];
}

export class TemplateProfileBuilder {
  private readonly templates = new Map<number, Builder>();
  private readonly levels = new Array<number>(LEVELS.length).fill(0);
  private readonly lineLengths: number[] = [];
  private lines = 0;

  observe(p: ParsedLine, hit: TemplateHit): void {
    if (hit.id < 0) return;
    this.lines++;
    let b = this.templates.get(hit.id);
    if (!b)
      this.templates.set(
        hit.id,
        (b = { minutes: new Map(), n: 0, levels: new Array<number>(LEVELS.length).fill(0), lengths: [], params: [] }),
      );
    b.n++;
    if (p.ts !== undefined && Number.isFinite(p.ts)) {
      const m = Math.floor(p.ts / MINUTE);
      b.firstMinute ??= m;
      b.minutes.set(m, (b.minutes.get(m) ?? 0) + 1);
    }
    const rank = levelRank(p.level);
    b.levels[rank]++;
    this.levels[rank]++;
    if (b.lengths.length < MAX_LENGTHS) b.lengths.push(Math.log2(1 + p.message.length));
    this.lineLengths.push(p.raw.length);
    for (let i = 0; i < hit.params.length; i++) {
      if (b.params.length <= i) b.params.push(new Map());
      const values = b.params[i];
      if (!values) continue;
      const v = hit.params[i];
      values.set(v, (values.get(v) ?? 0) + 1);
      if (values.size > MAX_VALUES) b.params[i] = null;
    }
  }

  finish(): TemplateProfileState {
    const templates: Record<string, TemplateStats> = {};
    for (const [id, b] of this.templates) {
      const median = quantile(b.lengths, 0.5);
      const mad = quantile(
        b.lengths.map((l) => Math.abs(l - median)),
        0.5,
      );
      templates[id] = {
        n: b.n,
        levels: b.levels,
        lenMedian: round(median),
        lenMad: round(mad),
        params: b.params.map((m) => (m ? Object.fromEntries(m) : null)),
      };
    }
    const found: Burst[] = [];
    for (const [id, b] of this.templates) found.push(...burstsOf(id, b.minutes, b.firstMinute));
    // At most BURST_SHARE of the lines are in bursts: the steepest ones (a storm 100x its usual rate before one 10x).
    found.sort((a, b) => b.peak / b.baseline - a.peak / a.baseline || a.from - b.from || a.id - b.id);
    const bursts: Burst[] = [];
    let inBursts = 0;
    for (const burst of found) {
      if (inBursts + burst.lines > BURST_SHARE * this.lines) continue;
      bursts.push(burst);
      inBursts += burst.lines;
    }
    const lengths = Float64Array.from(this.lineLengths).sort();
    return {
      version: 1,
      lines: this.lines,
      levels: this.levels,
      templates,
      lineLength: {
        median: quantileSorted(lengths, 0.5),
        p999: quantileSorted(lengths, 0.999),
        max: lengths[lengths.length - 1] ?? 0,
      },
      bursts,
    };
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function quantile(values: readonly number[], q: number): number {
  return quantileSorted(Float64Array.from(values).sort(), q);
}

function quantileSorted(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))];
}

/** The bursts of one template from its lines per minute: runs of consecutive burst minutes. */
function burstsOf(id: number, minutes: Map<number, number>, first: number | undefined): Burst[] {
  if (minutes.size < 2) return [];
  const baseline = Math.max(1, quantile([...minutes.values()], BURST_BASELINE_Q));
  const limit = Math.max(BURST_MIN, BURST_RATIO * baseline);
  // A template's first minute is not a jump above its baseline: there is none yet (a program starting up).
  const hot = [...minutes].filter(([m, c]) => c >= limit && m !== first).sort((a, b) => a[0] - b[0]);
  const out: Burst[] = [];
  for (const [m, c] of hot) {
    const last = out[out.length - 1];
    if (last && last.to === m * MINUTE) {
      last.to += MINUTE;
      last.peak = Math.max(last.peak, c);
      last.lines += c;
    } else out.push({ id, from: m * MINUTE, to: (m + 1) * MINUTE, peak: c, lines: c, baseline });
  }
  return out;
}
