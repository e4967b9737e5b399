import { describe, expect, it } from 'vitest';
import {
  calibrate,
  DEFAULT_THRESHOLDS,
  fitCalibration,
  severityOf,
  watchLevel,
  type Calibration,
} from './calibration.js';
import { gaussianMatrix } from '../../testkit/matrices.js';

const t = DEFAULT_THRESHOLDS.iforest;
const shareAtLeast = (raw: Float64Array, c: Calibration, level: number) =>
  raw.filter((r) => calibrate(r, c) >= level).length / raw.length;

describe('calibration', () => {
  const train = gaussianMatrix(100_000, 1, 1).data;
  const heldOut = gaussianMatrix(100_000, 1, 2).data;
  const c = fitCalibration(train, t);

  it('lets at most 1 normal row in 1,000 reach medium, on training and on held-out normal data', () => {
    expect(shareAtLeast(train, c, t.medium)).toBeLessThanOrEqual(0.001);
    expect(shareAtLeast(train, c, t.medium)).toBeGreaterThan(0.0009);
    expect(shareAtLeast(heldOut, c, t.medium)).toBeLessThan(0.0015);
    expect(shareAtLeast(heldOut, c, t.low)).toBeLessThan(0.015);
    expect(shareAtLeast(heldOut, c, t.high)).toBeLessThan(0.0002);
  });

  it('with a rarer low, adds a watch level for the top 1% of training', () => {
    const strict = fitCalibration(train, t, { mediumRate: 0.0005, lowRate: 0.001 });
    expect(watchLevel(t)).toBeCloseTo(0.25, 12);
    expect(shareAtLeast(train, strict, watchLevel(t))).toBeLessThanOrEqual(0.01);
    expect(shareAtLeast(train, strict, watchLevel(t))).toBeGreaterThan(0.009);
    expect(shareAtLeast(train, strict, t.low)).toBeLessThanOrEqual(0.001);
    expect(shareAtLeast(train, strict, t.medium)).toBeLessThanOrEqual(0.0005);
    expect(shareAtLeast(heldOut, strict, t.low)).toBeLessThan(0.0015);
  });

  it('honours another medium rate', () => {
    const loose = fitCalibration(train, t, { mediumRate: 0.01 });
    expect(shareAtLeast(train, loose, t.medium)).toBeLessThanOrEqual(0.01);
    expect(shareAtLeast(train, loose, t.medium)).toBeGreaterThan(0.009);
  });

  it('is monotone and stays in [0, 1], NaN counting as most anomalous', () => {
    let previous = -Infinity;
    for (let raw = -10; raw <= 20; raw += 0.01) {
      const s = calibrate(raw, c);
      expect(s).toBeGreaterThanOrEqual(previous);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(1);
      previous = s;
    }
    expect(calibrate(1e9, c)).toBeLessThanOrEqual(1);
    expect(calibrate(Number.NaN, c)).toBe(1);
    expect(calibrate(Infinity, c)).toBe(1);
  });

  it('keeps the rate when most training scores are tied', () => {
    const tied = new Float64Array(10_000);
    for (let i = 0; i < 50; i++) tied[i] = 1 + i;
    const ct = fitCalibration(tied, t);
    expect(shareAtLeast(tied, ct, t.medium)).toBeLessThanOrEqual(0.001);
    expect(calibrate(0, ct)).toBeLessThan(t.low);
    expect(calibrate(100, ct)).toBeGreaterThanOrEqual(t.critical);
  });

  it('on a sample too small for a row to reach medium, keeps its max under medium and the bands past it apart', () => {
    const small = gaussianMatrix(2_000, 1, 3).data;
    const cs = fitCalibration(small, t, { mediumRate: 0.00025, lowRate: 0.001 });
    const max = Math.max(...small);
    const second = Float64Array.from(small).sort()[small.length - 2];
    expect(calibrate(max, cs)).toBeGreaterThanOrEqual(t.low);
    expect(calibrate(max, cs)).toBeLessThan(t.medium);
    expect(calibrate(second, cs)).toBeGreaterThanOrEqual(t.low);
    expect(shareAtLeast(small, cs, t.low)).toBe(2 / small.length);
    // the next step past the max, as far as the max is past the low anchor: medium, then high, then critical
    const step = cs.raw[cs.raw.length - 3] - max;
    expect(step).toBeGreaterThan(0);
    expect(severityOf(calibrate(max + step * 1.5, cs), t)).toBe('medium');
    expect(severityOf(calibrate(max + step * 2.5, cs), t)).toBe('high');
    expect(severityOf(calibrate(max + step * 3.5, cs), t)).toBe('critical');
  });

  it('survives JSON and rejects empty training scores', () => {
    const loaded: Calibration = JSON.parse(JSON.stringify(c));
    expect(calibrate(3.2, loaded)).toBe(calibrate(3.2, c));
    expect(() => fitCalibration(new Float64Array([Number.NaN]), t)).toThrow(/no finite training scores/);
  });

  it('maps scores to severities at the thresholds', () => {
    expect(severityOf(0.44, t)).toBe('normal');
    expect(severityOf(0.45, t)).toBe('low');
    expect(severityOf(0.65, t)).toBe('medium');
    expect(severityOf(0.9, t)).toBe('high');
    expect(severityOf(0.95, t)).toBe('critical');
    expect(severityOf(0.6, DEFAULT_THRESHOLDS.autoencoder)).toBe('medium');
  });
});
