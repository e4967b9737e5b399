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
  const evidence: { name: string; value: number }[] = [];
  eachEvidence(input.members, input.signals, thresholds, (name, value) => evidence.push({ name, value }));
  evidence.sort((a, b) => b.value - a.value);
  const fired = evidence.filter((e) => e.value >= thresholds.low).map((e) => e.name);
  return { score: combinedScore(input.members, input.signals, thresholds), fired: [...new Set(fired)] };
}

/** `combine(...).score` without the list of what fired: the scorer's per-line path. */
export function combinedScore(
  members: readonly MemberScore[],
  signals: readonly Signal[],
  thresholds: Thresholds = DEFAULT_THRESHOLDS.ensemble,
): number {
  let top = 0;
  eachEvidence(members, signals, thresholds, (_, value) => {
    if (value > top) top = value;
  });
  return Math.min(1, top);
}

/**
 * Every piece of evidence `combine` weighs, with its value on the ensemble's scale, in a fixed order: the members,
 * the signals, then the lifts (the best member and each kind of weak signal; each kind again for two kinds).
 */
function eachEvidence(
  members: readonly MemberScore[],
  signals: readonly Signal[],
  thresholds: Thresholds,
  visit: (name: string, value: number) => void,
): void {
  const watch = watchLevel(thresholds);
  const lift = thresholds.medium - thresholds.low;
  let best = 0;
  let bestName = '';
  for (const m of members) {
    const value = onScale(m, thresholds);
    visit(m.name, value);
    if (value > best) {
      best = value;
      bestName = m.name;
    }
  }
  let weakKinds = 0;
  for (let i = 0; i < signals.length; i++) {
    visit(signals[i].kind, signalValue(signals[i], thresholds, watch));
    if (firstWeakOfItsKind(signals, i, thresholds)) weakKinds++;
  }
  const eachWeakKind = (value: number) => {
    for (let i = 0; i < signals.length; i++)
      if (firstWeakOfItsKind(signals, i, thresholds)) visit(signals[i].kind, value);
  };
  if (weakKinds > 0 && bestName) {
    visit(bestName, best + lift);
    eachWeakKind(best + lift);
  }
  if (weakKinds >= 2) eachWeakKind(watch + lift);
}

/** Signal i is weak (below `medium`) and no weak signal before it is of its kind. */
function firstWeakOfItsKind(signals: readonly Signal[], i: number, thresholds: Thresholds): boolean {
  const isWeak = (s: Signal) => s.strength < thresholds.medium;
  if (!isWeak(signals[i])) return false;
  for (let j = 0; j < i; j++) if (isWeak(signals[j]) && signals[j].kind === signals[i].kind) return false;
  return true;
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
