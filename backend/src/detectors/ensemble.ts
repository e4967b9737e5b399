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
  /** Members and signal kinds that reached `low` on their own or through the novelty lift, strongest first. */
  fired: string[];
}

const NOVELTY_KINDS: ReadonlySet<SignalKind> = new Set(['novel-template', 'novel-count-vector', 'out-of-range']);

/**
 * One score on the ensemble's scale (docs/detectors.md):
 *   score = max( every member, every signal, best member + lift if a novelty signal fired )
 * where each member is first mapped from its own severity bands onto the ensemble's, and lift is one severity band
 * (medium - low). So a detector or a rule is never drowned by the others; a novelty signal counts on its own; and
 * a never-seen shape that a detector also finds unusual (its top 1% of training: `watch`) climbs a band, to `low`.
 */
export function combine(input: EnsembleInput, thresholds: Thresholds = DEFAULT_THRESHOLDS.ensemble): EnsembleResult {
  const lift = thresholds.medium - thresholds.low;
  const members = input.members.map((m) => ({ name: m.name, value: rescale(m.score, m.thresholds ?? thresholdsOf(m.name, thresholds), thresholds) }));
  const best = members.reduce((b, m) => (m.value > b.value ? m : b), { name: '', value: 0 });
  const novelty = input.signals.some((s) => NOVELTY_KINDS.has(s.kind));
  const evidence = [...members, ...input.signals.map((s) => ({ name: s.kind, value: s.strength }))];
  if (novelty && best.name) evidence.push({ name: best.name, value: best.value + lift });
  evidence.sort((a, b) => b.value - a.value);
  const score = evidence.length ? Math.min(1, Math.max(0, evidence[0].value)) : 0;
  const fired = evidence.filter((e) => e.value >= thresholds.low).map((e) => e.name);
  return { score, fired: [...new Set(fired)] };
}

function thresholdsOf(name: string, fallback: Thresholds): Thresholds {
  return name in DEFAULT_THRESHOLDS ? DEFAULT_THRESHOLDS[name as DetectorKind] : fallback;
}

/** Maps a score from one set of severity bands to another, piecewise linearly: each threshold lands on its twin. */
export function rescale(score: number, from: Thresholds, to: Thresholds): number {
  const a = [0, watchLevel(from), from.low, from.medium, from.high, from.critical, 1];
  const b = [0, watchLevel(to), to.low, to.medium, to.high, to.critical, 1];
  if (score <= 0) return 0;
  if (score >= 1) return 1;
  let i = 1;
  while (score > a[i]) i++;
  return b[i - 1] + ((b[i] - b[i - 1]) * (score - a[i - 1])) / (a[i] - a[i - 1]);
}
