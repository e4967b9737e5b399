import { MINUTE_MS, minuteOf } from '../stream.js';
import type { TemplatePace } from '../templates/profile.js';
import { fmtInt } from './rarity.js';

/**
 * Bursts in the lines being scored: a template running at BURST_RATIO times its own usual rate or more (and at least
 * BURST_MIN lines) in one minute of the stream, and at SHARE_RATIO times its usual share of the lines. The usual rate
 * is learnt in training (`TemplateStats.rate`: the 90th percentile of its lines per minute over the minutes it
 * appears in), so an error storm of a routine template, or a run of a template that is otherwise quiet, stands out in
 * data training never saw.
 *
 * The tracker counts lines per template in the stream's current minute: one small window per template of the model
 * (memory bounded by the model, not by the input). The scorer holds a line until its window closes, so every line of
 * a burst minute, the first ones included, is marked with the minute's final count. Consecutive burst minutes of a
 * template are one burst: they share its id.
 */

/** Times the usual rate that makes a burst, and the fewest lines in a minute that can be one. */
const BURST_RATIO = 10;
const BURST_MIN = 10;
/**
 * Times its usual share of the stream's lines that a template must reach in the minute: a burst is the template's,
 * not the whole stream's. Proxifier (loghub) opens with a minute of 150 lines, 73 of them `close`, its usual 45% share:
 * at 12x its rate, it flagged 3.7% of the file; a browser starting up is not an event of that template.
 */
const SHARE_RATIO = 3;
/**
 * A line up to this many minutes behind the stream (clocks of interleaved writers, a late flush) is late: it counts in
 * no window and leaves them open. A larger step back (files concatenated, a year-less timestamp wrapping) starts the
 * stream's clock again.
 */
const LATE_MINUTES = 2;

/** The lines of one template in one minute of the stream. */
export interface BurstWindow {
  readonly template: number;
  /** Epoch minute. */
  readonly minute: number;
  /** The template's usual lines per minute, and the count that makes a burst. */
  readonly rate: number;
  readonly limit: number;
  /** The share of the minute's lines the template must also hold. */
  readonly share: number;
  count: number;
  /**
   * Set once `count` reaches `limit` and `share` of the minute's lines: the id of the burst (shared by consecutive
   * burst minutes of the template).
   */
  burst?: string;
  /** No line joins it any more: the stream has moved to another minute, or the tracker was reset. */
  closed: boolean;
}

export class BurstTracker {
  private readonly open = new Map<number, BurstWindow>();
  /** Per template: its latest burst and that burst's last minute. */
  private readonly last = new Map<number, { id: string; minute: number }>();
  private minute = NaN;
  /** Lines of the current minute, of every template. */
  private lines = 0;

  /** `paceOf(template)`: what training learnt of it, undefined when training had no rate (no timestamps). */
  constructor(private readonly paceOf: (template: number) => TemplatePace | undefined) {}

  /** Counts a line; the window it joins, or undefined (no time, a late line, or a template without a rate). */
  observe(template: number, ts: number | undefined): BurstWindow | undefined {
    if (ts === undefined || !Number.isFinite(ts)) return undefined;
    const minute = minuteOf(ts);
    if (minute !== this.minute) {
      if (!movesOn(this.minute, minute)) return undefined;
      this.closeAll();
      this.minute = minute;
      this.lines = 0;
    }
    this.lines++;
    let w = this.open.get(template);
    if (!w) {
      const pace = this.paceOf(template);
      if (pace === undefined) return undefined;
      const limit = Math.max(BURST_MIN, BURST_RATIO * pace.rate);
      w = { template, minute, rate: pace.rate, limit, share: SHARE_RATIO * pace.share, count: 0, closed: false };
      this.open.set(template, w);
    }
    if (++w.count >= w.limit && w.burst === undefined && w.count >= w.share * this.lines) {
      const prev = this.last.get(template);
      const id = prev && prev.minute === minute - 1 ? prev.id : burstId(template, minute);
      w.burst = id;
      this.last.set(template, { id, minute });
    }
    return w;
  }

  /** Forgets the stream: the next line does not follow the previous one (a scan's next block of lines). */
  reset(): void {
    this.closeAll();
    this.last.clear();
    this.minute = NaN;
  }

  private closeAll(): void {
    for (const w of this.open.values()) w.closed = true;
    this.open.clear();
  }
}

/** Whether a line of `minute` moves the stream's clock on from `current` (NaN: not started), or is only late. */
export function movesOn(current: number, minute: number): boolean {
  return !(minute < current && minute >= current - LATE_MINUTES);
}

/** The id of a burst: its template and first minute, e.g. "12@2024-03-01T10:40Z". */
function burstId(template: number, minute: number): string {
  return `${template}@${new Date(minute * MINUTE_MS).toISOString().slice(0, 16)}Z`;
}

/** The reason every line of a burst minute carries, with the minute's count and the template's usual rate. */
export function burstReason(w: BurstWindow): string {
  const at = new Date(w.minute * MINUTE_MS).toISOString().slice(0, 16).replace('T', ' ');
  return `burst: ${fmtInt(w.count)} lines of this template in the minute from ${at} (usually at most ${fmtInt(w.rate)} a minute when it appears)`;
}
