import type { Matrix } from '../types.js';
import { DEFAULT_THRESHOLDS, watchLevel } from './calibration.js';
import type { Signal } from './ensemble.js';

/** What novelty learns from: any of the three may be given. */
export interface NoveltyTrainingData {
  /** Template ids seen in training. */
  templates?: Iterable<number>;
  /** Training sessions, each a sequence of template ids; their count vectors are remembered. */
  sessions?: Iterable<readonly number[]>;
  /** Numeric feature rows; their per-feature ranges are remembered. */
  features?: Matrix;
  featureNames?: readonly string[];
}

export interface NoveltyOptions {
  /** Range margin as a share of the training range (default 0.1). */
  margin?: number;
}

/** What one scored item brings: a template id, a whole session, a feature row. */
export interface NoveltyObservation {
  template?: number;
  session?: readonly number[];
  row?: ArrayLike<number>;
}

export interface NoveltyState {
  kind: 'novelty';
  templates: number[];
  countVectors: string[];
  ranges: FeatureRange[];
}

interface FeatureRange {
  name: string;
  min: number;
  max: number;
}

const { low, medium, high } = DEFAULT_THRESHOLDS.ensemble;

/**
 * Strengths on the ensemble's calibrated scale. A template never seen is `medium` on its own. A count vector never
 * seen is only `watch`, one band below `low`: new mixes of known steps are common in busy systems (0.47% of normal
 * HDFS sessions), too common to flag alone; the ensemble lifts it to `low` when a detector agrees. A value out of
 * range grows from `low` at the margin to `high` at a whole range beyond it.
 */
export const NOVELTY_STRENGTH = {
  template: medium,
  countVector: watchLevel(DEFAULT_THRESHOLDS.ensemble),
  rangeMin: low,
  rangeMax: high,
} as const;

/** Remembers what training looked like and reports what was never seen. */
export class Novelty {
  private constructor(
    private readonly templates: Set<number>,
    private readonly countVectors: Set<string>,
    private readonly ranges: FeatureRange[],
  ) {}

  static fit(data: NoveltyTrainingData, opts: NoveltyOptions = {}): Novelty {
    const margin = opts.margin ?? 0.1;
    const templates = new Set(data.templates ?? []);
    const countVectors = new Set<string>();
    for (const s of data.sessions ?? []) {
      countVectors.add(countVectorKey(s));
      for (const t of s) templates.add(t);
    }
    const ranges: FeatureRange[] = [];
    const X = data.features;
    if (X && X.rows > 0) {
      for (let f = 0; f < X.cols; f++) {
        let min = Infinity;
        let max = -Infinity;
        for (let i = 0; i < X.rows; i++) {
          const v = X.data[i * X.cols + f];
          if (v < min) min = v;
          if (v > max) max = v;
        }
        const pad = margin * (max - min);
        ranges.push({ name: data.featureNames?.[f] ?? `feature ${f}`, min: min - pad, max: max + pad });
      }
    }
    return new Novelty(templates, countVectors, ranges);
  }

  /** What was never seen in training. Most observations have nothing: then the result is one shared empty array. */
  check(obs: NoveltyObservation): Signal[] {
    const novelTemplate = obs.template !== undefined && this.templates.size > 0 && !this.templates.has(obs.template);
    const outside = obs.row !== undefined && !this.withinRanges(obs.row);
    if (!novelTemplate && !obs.session && !outside) return NO_SIGNALS;
    const signals: Signal[] = [];
    if (novelTemplate) {
      signals.push({
        kind: 'novel-template',
        strength: NOVELTY_STRENGTH.template,
        reason: 'new template never seen in training',
      });
    }
    if (obs.session && this.countVectors.size > 0) {
      const unseen = obs.session.filter((t) => !this.templates.has(t));
      if (unseen.length > 0) {
        const n = new Set(unseen).size;
        signals.push({
          kind: 'novel-template',
          strength: NOVELTY_STRENGTH.template,
          reason: `session has ${n} template${n > 1 ? 's' : ''} never seen in training`,
        });
      } else if (!this.countVectors.has(countVectorKey(obs.session))) {
        signals.push({
          kind: 'novel-count-vector',
          strength: NOVELTY_STRENGTH.countVector,
          reason: 'session mixes known steps in counts never seen in training',
        });
      }
    }
    if (outside) signals.push(...this.outOfRange(obs.row!));
    return signals;
  }

  private withinRanges(row: ArrayLike<number>): boolean {
    const ranges = this.ranges;
    if (row.length !== ranges.length) throw new Error(`Novelty: expected ${ranges.length} features, got ${row.length}`);
    for (let f = 0; f < ranges.length; f++) if (!(row[f] >= ranges[f].min && row[f] <= ranges[f].max)) return false;
    return true;
  }

  private outOfRange(row: ArrayLike<number>): Signal[] {
    const signals: Signal[] = [];
    this.ranges.forEach((r, f) => {
      const v = row[f];
      if (v >= r.min && v <= r.max) return;
      const width = r.max - r.min || Math.max(Math.abs(r.max), 1);
      const beyond = Number.isFinite(v) ? (v > r.max ? v - r.max : r.min - v) / width : 1;
      const { rangeMin, rangeMax } = NOVELTY_STRENGTH;
      signals.push({
        kind: 'out-of-range',
        strength: rangeMin + (rangeMax - rangeMin) * Math.min(1, beyond),
        reason: `${r.name} = ${formatValue(v)} outside the training range [${formatValue(r.min)}, ${formatValue(r.max)}]`,
      });
    });
    return signals.sort((a, b) => b.strength - a.strength);
  }

  toJSON(): NoveltyState {
    return {
      kind: 'novelty',
      templates: [...this.templates],
      countVectors: [...this.countVectors],
      ranges: this.ranges,
    };
  }

  static fromJSON(s: NoveltyState): Novelty {
    if (s?.kind !== 'novelty' || !Array.isArray(s.templates)) throw new Error('Novelty.fromJSON: not a novelty state');
    return new Novelty(new Set(s.templates), new Set(s.countVectors), s.ranges);
  }
}

const NO_SIGNALS: Signal[] = [];

/** A compact key of a session's sparse count vector (template -> count), independent of order: two 32-bit FNV-1a hashes. */
export function countVectorKey(session: readonly number[]): string {
  const counts = new Map<number, number>();
  for (const t of session) counts.set(t, (counts.get(t) ?? 0) + 1);
  const text = [...counts]
    .sort((a, b) => a[0] - b[0])
    .map(([t, c]) => `${t}:${c}`)
    .join(',');
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 15);
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}

function formatValue(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(4);
}
