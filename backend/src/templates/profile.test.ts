import { describe, expect, it } from 'vitest';
import { MINUTE_MS } from '../stream.js';
import { TemplateProfileBuilder } from './profile.js';

const T0 = Date.UTC(2024, 2, 1, 10, 0);

/** The rate training learns for template 1: `perMinute[m]` lines in minute m, template 0 in every minute. */
function rateOf(perMinute: Record<number, number>, minutes = 200): number | undefined {
  const b = new TemplateProfileBuilder();
  const line = (id: number, ts: number) =>
    b.observe(
      { ts, fields: {}, message: 'm', raw: 'm', format: 'syslog' },
      { id, template: 'm', params: [], count: 0 },
    );
  for (let m = 0; m < minutes; m++) {
    line(0, T0 + m * MINUTE_MS);
    for (let k = 0; k < (perMinute[m] ?? 0); k++) line(1, T0 + m * MINUTE_MS + k * 100);
  }
  return b.finish().templates['1'].rate;
}

/** One line a minute in every fifth minute, and the given flurries on top. */
function quietWith(flurries: Record<number, number>): Record<number, number> {
  const perMinute: Record<number, number> = {};
  for (let m = 2; m < 200; m += 5) perMinute[m] = 1;
  return { ...perMinute, ...flurries };
}

describe('a template rate', () => {
  it('is the 90th percentile of its minutes while at most two flurries stand out: one or two incidents stay bursts', () => {
    expect(rateOf(quietWith({}))).toBe(1);
    expect(rateOf(quietWith({ 40: 10, 120: 8 }))).toBe(1);
    // A storm of consecutive minutes is one flurry.
    expect(rateOf(quietWith({ 40: 30, 41: 30, 43: 30 }))).toBe(1);
  });

  it('is at least the peak of its third largest flurry: a flurry seen three separate times is routine', () => {
    expect(rateOf(quietWith({ 40: 10, 120: 8, 160: 6 }))).toBe(6);
    expect(rateOf(quietWith({ 40: 10, 41: 3, 120: 8, 160: 2, 161: 6, 180: 4 }))).toBe(6);
  });
});
