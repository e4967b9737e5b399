import type { TemplateStats } from '../templates/profile.js';
import { fmtInt } from './rarity.js';

/**
 * Episodes: a template whose training lines all came within a sliver of a long training span (EPISODE_SHARE of it,
 * the span at least MIN_SPAN_MS, the template at least MIN_LINES lines) was one incident, not routine: its line count
 * makes it common, and its own storm sets its usual rate, so neither rarity nor a burst marks it in a self-trained
 * scan. The line that starts such an episode is one (when it is trouble: pipeline/scorer.ts): the template's first
 * line, or its first after a silence longer than the episode and than EPISODE_SHARE of the training span; the lines
 * after it are not (one alarm an episode). Self-trained on the loghub samples of a day or more: Linux's storm of 23
 * `Kerberos authentication failed` in 2 s of 43 days, Zookeeper's 262 `Send worker leaving thread` in 50 minutes of
 * 27 days, BGL's 60 `data TLB error interrupt` in 6 hours of 214 days (labelled alerts in BGL's own first column).
 */
const EPISODE_SHARE = 0.01;
const MIN_SPAN_MS = 6 * 3_600_000;
const MIN_LINES = 10;

/** What training saw of an episodic template. */
export interface EpisodeShape {
  lines: number;
  /** Milliseconds from its first training line to its last, and of the whole training. */
  spanMs: number;
  trainingSpanMs: number;
}

/** The episode a template was in training, or undefined when it was not one. */
export function episodeOf(t: TemplateStats | undefined, trainingSpanMs: number | undefined): EpisodeShape | undefined {
  if (!t || t.span === undefined || trainingSpanMs === undefined || trainingSpanMs < MIN_SPAN_MS) return undefined;
  if (t.n < MIN_LINES || t.span > EPISODE_SHARE * trainingSpanMs) return undefined;
  return { lines: t.n, spanMs: t.span, trainingSpanMs };
}

/** The episodic templates of a profile, by template id. */
export function episodesOf(
  templates: Readonly<Record<string, TemplateStats>>,
  trainingSpanMs: number | undefined,
): Map<number, EpisodeShape> {
  const shapes = new Map<number, EpisodeShape>();
  for (const [id, t] of Object.entries(templates)) {
    const shape = episodeOf(t, trainingSpanMs);
    if (shape) shapes.set(Number(id), shape);
  }
  return shapes;
}

/** The lines that start episodes, among the lines scored: a time per episodic template seen (bounded by the model). */
export class EpisodeTracker {
  private readonly lastSeen = new Map<number, number>();

  /** `shapes`: the model's episodic templates (episodesOf). */
  constructor(private readonly shapes: ReadonlyMap<number, EpisodeShape>) {}

  /** A line of `template` at `ts` was seen elsewhere (another part's lines, as a scan deals them): as if seen here. */
  seen(template: number, ts: number): void {
    const before = this.lastSeen.get(template);
    if (this.shapes.has(template) && (before === undefined || ts > before)) this.lastSeen.set(template, ts);
  }

  /** The episode this line starts, or undefined (not an episodic template, no time, or within an episode). */
  onset(template: number, ts: number | undefined): EpisodeShape | undefined {
    if (ts === undefined || !Number.isFinite(ts)) return undefined;
    const shape = this.shapes.get(template);
    if (!shape) return undefined;
    const before = this.lastSeen.get(template);
    this.seen(template, ts);
    const silence = Math.max(shape.spanMs, EPISODE_SHARE * shape.trainingSpanMs);
    return before === undefined || ts - before > silence ? shape : undefined;
  }
}

export function episodeReason(s: EpisodeShape): string {
  return `start of an episode: training saw this template's ${fmtInt(s.lines)} lines within ${duration(s.spanMs)} of its ${duration(s.trainingSpanMs)}`;
}

function duration(ms: number): string {
  const minutes = ms / 60_000;
  if (minutes < 1) return `${Math.round(ms / 1000)} s`;
  if (minutes < 120) return `${Math.round(minutes)} min`;
  const hours = minutes / 60;
  return hours < 48 ? `${Math.round(hours)} h` : `${Math.round(hours / 24)} days`;
}
