import { describe, expect, it } from 'vitest';
import { HeadQueue } from './head-queue.js';

describe('HeadQueue', () => {
  it('gives items back in order across the cuts of its array, and lets taken items go', () => {
    const q = new HeadQueue<{ n: number }>(8);
    const taken: number[] = [];
    let next = 0;
    for (let round = 0; round < 50; round++) {
      for (let k = 0; k < 7; k++) {
        q.push({ n: next++ });
      }
      while (q.length > 3) taken.push(q.shift().n);
    }
    expect(taken).toEqual(Array.from({ length: next - 3 }, (_, i) => i));
    expect([...q].map((i) => i.n)).toEqual([next - 3, next - 2, next - 1]);
    expect(q.peek()?.n).toBe(next - 3);
    // the array holds at most `keep` taken items besides the queue's own (here 3)
    expect((q as unknown as { items: unknown[] }).items.length).toBeLessThanOrEqual(8 + 3 + 7);
    while (q.length) q.shift();
    expect(q.peek()).toBeUndefined();
  });

  it('strict: lets taken items go once `keep` were taken, however many the queue still holds', () => {
    const items = (q: HeadQueue<number>) => (q as unknown as { items: unknown[] }).items.length;
    const loose = new HeadQueue<number>(8);
    const strict = new HeadQueue<number>(8, true);
    for (const q of [loose, strict]) {
      for (let i = 0; i < 100; i++) q.push(i);
      for (let i = 0; i < 20; i++) expect(q.shift()).toBe(i);
    }
    expect(items(loose)).toBe(100); // 20 taken of 100: not yet over half
    expect(items(strict)).toBeLessThanOrEqual(80 + 8);
    expect([...strict]).toEqual(Array.from({ length: 80 }, (_, i) => 20 + i));
  });
});
