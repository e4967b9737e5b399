import { describe, expect, it } from 'vitest';
import { RobustRouteStats } from './route-baseline.js';

describe('robust per-route baselines', () => {
  it('keep the median and spread of a route whose training holds a burst of huge values', () => {
    const stats = new RobustRouteStats();
    for (let i = 0; i < 200; i++) stats.add(0, Math.log1p(5000 + 40 * (i % 50)));
    for (let i = 0; i < 20; i++) stats.add(0, Math.log1p(30e6));
    const { mean, std } = stats.finish();
    expect(mean[0]).toBeCloseTo(Math.log1p(6000), 1);
    expect(std[0]).toBe(0.25);
    expect((Math.log1p(30e6) - mean[0]) / std[0]).toBeGreaterThan(30);
  });

  it('give a route with two common kinds of answer a spread that covers both', () => {
    const stats = new RobustRouteStats();
    for (let i = 0; i < 120; i++) stats.add(3, 0);
    for (let i = 0; i < 100; i++) stats.add(3, Math.log1p(82_000));
    const { mean, std } = stats.finish();
    expect(mean).toHaveLength(4);
    expect((Math.log1p(82_000) - mean[3]) / std[3]).toBeLessThan(3);
  });
});
