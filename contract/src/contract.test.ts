import { describe, expect, it } from 'vitest';
import {
  ANOMALY_FIELD_NAMES,
  DEFAULT_THRESHOLDS,
  DETECTOR_KINDS,
  isDetectorKind,
  isSeverity,
  mulberry32,
  severityOf,
  severityRank,
  SEVERITIES,
} from './index.js';

describe('the contract', () => {
  it('grades a score by the thresholds, each severity from its own threshold up', () => {
    const t = DEFAULT_THRESHOLDS.iforest;
    expect([0, t.low - 1e-9, t.low, t.medium, t.high, t.critical, 1].map((s) => severityOf(s, t))).toEqual([
      'normal',
      'normal',
      'low',
      'medium',
      'high',
      'critical',
      'critical',
    ]);
    expect(SEVERITIES.map(severityRank)).toEqual([0, 1, 2, 3, 4]);
  });

  it('recognises its own words and nothing else', () => {
    expect(SEVERITIES.every(isSeverity)).toBe(true);
    expect(DETECTOR_KINDS.every(isDetectorKind)).toBe(true);
    expect([isSeverity('warn'), isDetectorKind('pca'), isSeverity(3)]).toEqual([false, false, false]);
    expect(ANOMALY_FIELD_NAMES).toEqual([
      'anomaly_score',
      'anomaly_severity',
      'anomaly_reason',
      'anomaly_template',
      'anomaly_detector',
      'anomaly_burst',
    ]);
  });

  it('draws the same numbers from the same seed', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const draws = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(draws);
    expect(draws.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(mulberry32(43)()).not.toBe(draws[0]);
  });
});
