import { DEFAULT_THRESHOLDS, severityOf, type Thresholds } from '@anomalog/contract';

export { DEFAULT_THRESHOLDS, severityOf, type Thresholds };

export interface CalibrationOptions {
  /** Largest share of training rows allowed to reach `medium` (default 1 in 1,000). */
  mediumRate?: number;
  /** Largest share of training rows allowed to reach `low` (default 10 x mediumRate). */
  lowRate?: number;
}

/**
 * A monotone piecewise-linear map from raw detector scores to [0, 1]. `raw` and `score` are the anchors, both
 * strictly increasing; past the last anchor the score approaches 1 exponentially with scale `tail`.
 */
export interface Calibration {
  raw: number[];
  score: number[];
  tail: number;
}

/**
 * Anchors, from the training scores (higher raw = more anomalous):
 *   min -> 0, median -> low/4, q(0.99) -> watch, q(1 - lowRate) -> low, q(1 - mediumRate) -> medium,
 *   max -> high, max + (max - medium anchor) -> critical,
 * where watch = low - (medium - low), one band below low: "in the top 1% of training". The watch anchor is left out
 * when lowRate is 1% or more (then `low` itself is the top 1%). Quantile anchors sit between two distinct training
 * values, so at most that share of training rows reaches them.
 */
export function fitCalibration(
  trainRaw: Float64Array,
  thresholds: Thresholds,
  opts: CalibrationOptions = {},
): Calibration {
  const sorted = Float64Array.from(trainRaw.filter(Number.isFinite)).sort();
  if (sorted.length === 0) throw new Error('fitCalibration: no finite training scores');
  const mediumRate = opts.mediumRate ?? 0.001;
  const lowRate = opts.lowRate ?? Math.min(1, mediumRate * 10);
  const n = sorted.length;
  const max = sorted[n - 1];
  const median = sorted[Math.floor((n - 1) / 2)];
  const lowAnchor = aboveShare(sorted, lowRate);
  const mediumAnchor = aboveShare(sorted, mediumRate);
  // Too few rows for one to reach `medium`: medium, high and critical lie past the max, a step apart.
  const step = max > lowAnchor ? max - lowAnchor : max - median;
  const top: [number, number][] =
    Math.floor(mediumRate * n) === 0 && step > 0
      ? [
          [max + step, thresholds.medium],
          [max + 2 * step, thresholds.high],
          [max + 3 * step, thresholds.critical],
        ]
      : [
          [mediumAnchor, thresholds.medium],
          [max, thresholds.high],
          [max + (max - mediumAnchor), thresholds.critical],
        ];
  const anchors: [number, number][] = [
    [sorted[0], 0],
    [median, thresholds.low / 4],
    ...(lowRate < WATCH_RATE ? [[aboveShare(sorted, WATCH_RATE), watchLevel(thresholds)] as [number, number]] : []),
    [lowAnchor, thresholds.low],
    ...top,
  ];
  const raw = anchors.map((a) => a[0]);
  for (let i = 1; i < raw.length; i++) raw[i] = Math.max(raw[i], nextAbove(raw[i - 1]));
  const last = raw.length - 1;
  return { raw, score: anchors.map((a) => a[1]), tail: raw[last] - raw[last - 2] };
}

/** Share of training rows above the watch level. */
const WATCH_RATE = 0.01;

/** One severity band below `low` (at least low/2): worth a look only together with other evidence. */
export function watchLevel(t: Thresholds): number {
  return Math.max(t.low / 2, t.low - (t.medium - t.low));
}

/** The smallest cut such that at most `share` of the sorted values are >= it: midway to the next distinct value. */
function aboveShare(sorted: Float64Array, share: number): number {
  const n = sorted.length;
  const allowed = Math.floor(share * n);
  const j = n - allowed - 1;
  if (j < 0) return sorted[0];
  let m = j + 1;
  while (m < n && sorted[m] === sorted[j]) m++;
  return m < n ? (sorted[j] + sorted[m]) / 2 : nextAbove(sorted[j]);
}

function nextAbove(x: number): number {
  return x + Math.max(Math.abs(x) * 1e-9, 1e-12);
}

/** Monotone non-decreasing map into [0, 1]; a NaN raw score counts as the most anomalous. */
export function calibrate(raw: number, c: Calibration): number {
  if (Number.isNaN(raw)) return 1;
  const { raw: r, score: s } = c;
  if (raw <= r[0]) return s[0];
  const last = r.length - 1;
  if (raw >= r[last]) return s[last] + (1 - s[last]) * (1 - Math.exp(-(raw - r[last]) / c.tail));
  let i = 1;
  while (raw > r[i]) i++;
  return s[i - 1] + ((s[i] - s[i - 1]) * (raw - r[i - 1])) / (r[i] - r[i - 1]);
}
