import { describe, expect, it } from 'vitest';
import { BurstTracker, burstReason } from './burst.js';

const MIN = 60_000;
const T0 = Date.UTC(2024, 2, 1, 10, 0);

describe('BurstTracker', () => {
  it('counts a template in the stream minute: 10 lines at 10x a rate of 1 make a burst, 9 do not', () => {
    const tracker = new BurstTracker((id) => (id === 1 ? { rate: 1, share: 0.01 } : undefined));
    const windows = Array.from({ length: 9 }, (_, k) => tracker.observe(1, T0 + k * 1000)!);
    expect(windows[0].burst).toBeUndefined();
    windows.push(tracker.observe(1, T0 + 9000)!);
    expect(windows.every((w) => w === windows[0])).toBe(true);
    expect(windows[0]).toMatchObject({
      count: 10,
      limit: 10,
      share: 0.03,
      burst: '1@2024-03-01T10:00Z',
      closed: false,
    });
    expect(burstReason(windows[0])).toBe(
      'burst: 10 lines of this template in the minute from 2024-03-01 10:00 (usually at most 1 a minute when it appears)',
    );
    // Another minute closes it; a template without a learnt rate and a line without time join nothing.
    const next = tracker.observe(1, T0 + MIN)!;
    expect(windows[0].closed).toBe(true);
    expect([next.count, next.burst]).toEqual([1, undefined]);
    expect(tracker.observe(2, T0 + MIN)).toBeUndefined();
    expect(tracker.observe(1, undefined)).toBeUndefined();
  });

  it("is a template's burst, not the stream's: it must also hold 3x its usual share of the minute's lines", () => {
    const tracker = new BurstTracker((id) => ({ rate: 1, share: id === 1 ? 0.2 : 0.8 }));
    // Every template at 10x: template 1 holds its usual fifth of the minute, no burst.
    let w;
    for (let k = 0; k < 50; k++) w = tracker.observe(k % 5 === 0 ? 1 : 2, T0 + k * 100);
    expect(w!.count).toBe(40);
    const even = tracker.observe(1, T0 + 5000)!;
    expect([even.count, even.burst]).toEqual([11, undefined]);
    // The next minute, template 1 alone runs at 10x: 10 of 13 lines, over 3 x 20%.
    for (let k = 0; k < 3; k++) tracker.observe(2, T0 + MIN + k);
    for (let k = 0; k < 9; k++) w = tracker.observe(1, T0 + MIN + 10 + k);
    expect([w!.count, w!.burst]).toEqual([9, undefined]);
    expect(tracker.observe(1, T0 + MIN + 20)).toMatchObject({ count: 10, burst: '1@2024-03-01T10:01Z' });
  });

  it('leaves windows open for a line up to 2 minutes late, and restarts its clock on a bigger step back', () => {
    const tracker = new BurstTracker(() => ({ rate: 2, share: 0.01 }));
    const w = tracker.observe(1, T0 + 3 * MIN)!;
    expect(tracker.observe(1, T0 + 2 * MIN)).toBeUndefined();
    expect(tracker.observe(7, T0 + MIN)).toBeUndefined();
    expect(w.closed).toBe(false);
    expect(tracker.observe(1, T0 + 3 * MIN + 5)).toBe(w);
    const back = tracker.observe(1, T0 - 60 * MIN)!;
    expect(w.closed).toBe(true);
    expect(back).toMatchObject({ minute: Math.floor(T0 / MIN) - 60, count: 1, limit: 20 });
  });

  it('keeps one id over consecutive burst minutes, a new one after a quiet minute or a reset', () => {
    const tracker = new BurstTracker(() => ({ rate: 1, share: 0.01 }));
    const burstAt = (minute: number) => {
      let w;
      for (let k = 0; k < 10; k++) w = tracker.observe(4, T0 + minute * MIN + k);
      return w!.burst;
    };
    expect([burstAt(0), burstAt(1), burstAt(3)]).toEqual([
      '4@2024-03-01T10:00Z',
      '4@2024-03-01T10:00Z',
      '4@2024-03-01T10:03Z',
    ]);
    tracker.reset();
    expect(burstAt(4)).toBe('4@2024-03-01T10:04Z');
  });
});
