import type { DetectorKind } from '../types.js';
import { DEFAULT_THRESHOLDS, watchLevel, type Thresholds } from './calibration.js';

/** Evidence that is not a detector score. `strength` is on the ensemble's score scale: 0.65 alone means `medium`. */
export type SignalKind = 'novel-template' | 'novel-count-vector' | 'out-of-range' | 'rule' | 'error-level';

export interface Signal {
  kind: SignalKind;
  strength: number;
  reason: string;
}

/** A detector's calibrated score in [0, 1], read against its own thresholds (default: the detector's defaults). */
export interface MemberScore {
  name: string;
  score: number;
  thresholds?: Thresholds;
}

export interface EnsembleInput {
  members: readonly MemberScore[];
  signals: readonly Signal[];
}

export interface EnsembleResult {
  score: number;
  /** Members and signal kinds that reached `low`, on their own or together through the lift; strongest first. */
  fired: string[];
}

/**
 * One score on the ensemble's scale (docs/detectors.md). Each member is first mapped from its own severity bands
 * onto the ensemble's. Strong signals (at least `medium`: a template never seen, a FATAL level, an attack pattern)
 * count at full strength, even on a frequent line. Weak signals (below `medium`: a new mix of known steps, a value
 * just out of range, a trouble keyword, a session step out of its usual order) reach at most `watch` alone, because
 * each is common in normal traffic. A second opinion lifts them one band (lift = medium - low): any weak signal lifts
 * the best member, so weak evidence plus a detector that finds the item unusual (its top 1%, `watch`) is an anomaly
 * (`low`); and weak signals of two different kinds lift each other from `watch` to `low`.
 *   score = max( each member, each strong signal, min(weak signal, watch),
 *                best member + lift if a weak signal, watch + lift if weak signals of two kinds )
 */
export function combine(input: EnsembleInput, thresholds: Thresholds = DEFAULT_THRESHOLDS.ensemble): EnsembleResult {
  const lift = thresholds.medium - thresholds.low;
  const watch = watchLevel(thresholds);
  const members = input.members.map((m) => ({ name: m.name, value: onScale(m, thresholds) }));
  const best = members.reduce((b, m) => (m.value > b.value ? m : b), { name: '', value: 0 });
  const weak = input.signals.filter((s) => s.strength < thresholds.medium);
  const weakKinds = [...new Set(weak.map((s) => s.kind))];
  const memberLift = weak.length > 0 && best.name ? [best.name, ...weakKinds].map((name) => ({ name, value: best.value + lift })) : [];
  const pairLift = weakKinds.length >= 2 ? weakKinds.map((name) => ({ name, value: watch + lift })) : [];
  const evidence = [
    ...members,
    ...input.signals.map((s) => ({ name: s.kind, value: signalValue(s, thresholds, watch) })),
    ...memberLift,
    ...pairLift,
  ];
  evidence.sort((a, b) => b.value - a.value);
  const score = evidence.length ? Math.min(1, Math.max(0, evidence[0].value)) : 0;
  const fired = evidence.filter((e) => e.value >= thresholds.low).map((e) => e.name);
  return { score, fired: [...new Set(fired)] };
}

/**
 * `combine(...).score` without building the list of evidence: the scorer's per-line path, which allocates nothing.
 * Scores are never NaN in the pipeline (calibration maps NaN to 1); should one be, combine decides.
 */
export function combinedScore(
  members: readonly MemberScore[],
  signals: readonly Signal[],
  thresholds: Thresholds = DEFAULT_THRESHOLDS.ensemble,
): number {
  if (members.length === 0 && signals.length === 0) return 0;
  const watch = watchLevel(thresholds);
  let top = -Infinity;
  let best = 0;
  let bestName = '';
  for (const m of members) {
    const value = onScale(m, thresholds);
    if (Number.isNaN(value)) return combine({ members, signals }, thresholds).score;
    if (value > top) top = value;
    if (value > best) {
      best = value;
      bestName = m.name;
    }
  }
  let weakKind: Signal['kind'] | undefined;
  let weakKinds = 0;
  for (const s of signals) {
    const value = signalValue(s, thresholds, watch);
    if (Number.isNaN(value)) return combine({ members, signals }, thresholds).score;
    if (value > top) top = value;
    if (s.strength >= thresholds.medium) continue;
    if (weakKind === undefined) {
      weakKind = s.kind;
      weakKinds = 1;
    } else if (s.kind !== weakKind) weakKinds = 2;
  }
  const lift = thresholds.medium - thresholds.low;
  if (weakKinds > 0 && bestName && best + lift > top) top = best + lift;
  if (weakKinds >= 2 && watch + lift > top) top = watch + lift;
  return Math.min(1, Math.max(0, top));
}

/** A member's score on the ensemble's scale. */
function onScale(m: MemberScore, thresholds: Thresholds): number {
  return rescale(m.score, m.thresholds ?? thresholdsOf(m.name, thresholds), thresholds);
}

/** A signal's weight: strong ones at full strength, weak ones (below `medium`) at most `watch`. */
function signalValue(s: Signal, thresholds: Thresholds, watch: number): number {
  return s.strength < thresholds.medium ? Math.min(s.strength, watch) : s.strength;
}

function thresholdsOf(name: string, fallback: Thresholds): Thresholds {
  return name in DEFAULT_THRESHOLDS ? DEFAULT_THRESHOLDS[name as DetectorKind] : fallback;
}

/** Maps a score from one set of severity bands to another, piecewise linearly: each level lands on its twin. */
export function rescale(score: number, from: Thresholds, to: Thresholds): number {
  if (score <= 0) return 0;
  if (score >= 1) return 1;
  let i = 1;
  while (score > level(from, i)) i++;
  const a0 = level(from, i - 1);
  const b0 = level(to, i - 1);
  return b0 + ((level(to, i) - b0) * (score - a0)) / (level(from, i) - a0);
}

/** The i-th edge of the bands, from 0 up: 0, watch, low, medium, high, critical, 1 (no array: rescale runs per line). */
function level(t: Thresholds, i: number): number {
  switch (i) {
    case 0:
      return 0;
    case 1:
      return watchLevel(t);
    case 2:
      return t.low;
    case 3:
      return t.medium;
    case 4:
      return t.high;
    case 5:
      return t.critical;
    default:
      return 1;
  }
}
