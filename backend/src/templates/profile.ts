import { LEVELS, levelRank } from '../parsing/level.js';
import { MINUTE_MS, minuteOf } from '../stream.js';
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
  /** Milliseconds from the first line to the last; absent without timestamps and in older models. */
  span?: number;
}

/**
 * A template's usual rate is a high quantile of its lines per minute over the minutes in which it appears at all, so
 * a template that often comes in flurries (a brute-force storm of `authentication failure`, a browser's connections)
 * is measured against its flurries.
 */
const RATE_Q = 0.9;
/**
 * A flurry (a run of consecutive minutes with the template) of a size training saw this many separate times is
 * routine, however quiet the template is between them: its rate is at least the peak minute of its FLURRIES-th
 * largest flurry. On loghub Linux, `session opened for user <*>` runs at 1 a minute in the nightly cron logins and
 * came in flurries of 10, 8 and 6 when a test account logged in by script: every flurry was a burst at 10x the 90th
 * percentile. The two largest flurries never set the rate, so one or two incidents in the training lines (a file
 * scored by a model of its own) still stand out.
 */
const FLURRIES = 3;
/**
 * Whole minutes training must span before any rate is learnt. The first and last minutes of the span are partial: a
 * stream learnt from its first 2,000 lines, written in 40 s, saw one or two partial minutes, and rates read from them
 * made its every later minute a burst (19-99% of the lines flagged in bench/streams.bench.ts at 50 lines/s a stream).
 */
const MIN_WHOLE_MINUTES = 3;

export interface TemplateStats {
  n: number;
  /** Lines per level rank (debug .. fatal). */
  levels: number[];
  /** Median and median absolute deviation of log2(1 + message length). */
  lenMedian: number;
  lenMad: number;
  /**
   * The shortest and longest log2(1 + message length) that LENGTH_SEEN_LINES of its training lines reached or passed
   * (absent below that many lines, and in older models): lengths in between are routine, whatever the median says.
   */
  lenSeen?: [number, number];
  /** Per parameter position: value -> count, or null once it has more than MAX_VALUES distinct values (an id). */
  params: (Record<string, number> | null)[];
  /**
   * Its usual lines per minute (RATE_Q of the minutes in which it appears, at least 1): the baseline a burst is
   * measured against (detectors/burst.ts). The first and last minutes of the training span are partial: their counts
   * are taken as if the rest of the minute ran at the same pace. Absent for a template without timestamps, when
   * training spanned fewer than MIN_WHOLE_MINUTES whole minutes, and in older models.
   */
  rate?: number;
  /** Milliseconds from its first line to its last (detectors/episode.ts); absent as `rate` is and in older models. */
  span?: number;
}

/** What training says of a template's pace, which bursts are measured against: its rate, and its share of all lines. */
export interface TemplatePace {
  rate: number;
  share: number;
}

/** A parameter with more distinct values than this is an identifier: its values say nothing about rarity. */
const MAX_VALUES = 16;
/** Lengths kept per template for the robust median (the first ones: deterministic). */
const MAX_LENGTHS = 512;
/**
 * Training lines (at least 2, else 2% of the lengths kept) that must reach a length for it to be routine for the
 * template. A template of two shapes has two modes, and the median and MAD read one as normal and the other as far
 * off: Windows' setupapi.dev.log writes `{Stage Driver Package: <path>}` and `{Stage Driver Package: exit(0x0)}`,
 * one template, and 6 of its 13 lines, the long ones, were flagged as far longer than the usual.
 */
const LENGTH_SEEN_LINES = 2;
const LENGTH_SEEN_SHARE = 0.02;

interface Builder {
  minutes: Map<number, number>;
  first: number;
  last: number;
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
  /** The training span: its first and last line times (ms). */
  private first = Infinity;
  private last = -Infinity;

  observe(p: ParsedLine, hit: TemplateHit): void {
    if (hit.id < 0) return;
    this.lines++;
    let b = this.templates.get(hit.id);
    if (!b)
      this.templates.set(
        hit.id,
        (b = {
          minutes: new Map(),
          first: Infinity,
          last: -Infinity,
          n: 0,
          levels: new Array<number>(LEVELS.length).fill(0),
          lengths: [],
          params: [],
        }),
      );
    b.n++;
    if (p.ts !== undefined && Number.isFinite(p.ts)) {
      const m = minuteOf(p.ts);
      b.minutes.set(m, (b.minutes.get(m) ?? 0) + 1);
      if (p.ts < b.first) b.first = p.ts;
      if (p.ts > b.last) b.last = p.ts;
      if (p.ts < this.first) this.first = p.ts;
      if (p.ts > this.last) this.last = p.ts;
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
    const rateOf = this.rates();
    for (const [id, b] of this.templates) {
      const lengths = Float64Array.from(b.lengths).sort();
      const median = quantileSorted(lengths, 0.5);
      const mad = quantile(
        b.lengths.map((l) => Math.abs(l - median)),
        0.5,
      );
      const seen = Math.max(LENGTH_SEEN_LINES, Math.ceil(LENGTH_SEEN_SHARE * lengths.length));
      templates[id] = {
        n: b.n,
        levels: b.levels,
        lenMedian: round(median),
        lenMad: round(mad),
        ...(lengths.length >= seen && {
          lenSeen: [round(lengths[seen - 1]), round(lengths[lengths.length - seen])] as [number, number],
        }),
        params: b.params.map((m) => (m ? Object.fromEntries(m) : null)),
        ...(rateOf && b.minutes.size ? { rate: rateOf(b.minutes), span: b.last - b.first } : {}),
      };
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
      ...(rateOf ? { span: this.last - this.first } : {}),
    };
  }

  /** A template's rate from its lines per minute, or undefined when training spanned too few whole minutes. */
  private rates(): ((minutes: Map<number, number>) => number) | undefined {
    const firstMinute = minuteOf(this.first);
    const lastMinute = minuteOf(this.last);
    if (!(lastMinute - firstMinute - 1 >= MIN_WHOLE_MINUTES)) return undefined;
    // The share of the edge minutes that training saw (at least a second's worth).
    const seenOfFirst = Math.max(1 / 60, ((firstMinute + 1) * MINUTE_MS - this.first) / MINUTE_MS);
    const seenOfLast = Math.max(1 / 60, (this.last - lastMinute * MINUTE_MS) / MINUTE_MS);
    return (minutes) => {
      const perMinute = [...minutes]
        .map(([m, n]): [number, number] => [
          m,
          m === firstMinute ? n / seenOfFirst : m === lastMinute ? n / seenOfLast : n,
        ])
        .sort((a, b) => a[0] - b[0]);
      const usual = quantile(
        perMinute.map(([, n]) => n),
        RATE_Q,
      );
      return Math.max(1, Math.round(usual), Math.round(flurryPeaks(perMinute)[FLURRIES - 1] ?? 0));
    };
  }
}

/** The peak count of each run of consecutive minutes, largest first; `perMinute` in minute order. */
function flurryPeaks(perMinute: readonly [number, number][]): number[] {
  const peaks: number[] = [];
  perMinute.forEach(([m, n], i) => {
    if (i > 0 && perMinute[i - 1][0] === m - 1) peaks[peaks.length - 1] = Math.max(peaks[peaks.length - 1], n);
    else peaks.push(n);
  });
  return peaks.sort((a, b) => b - a);
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
