import { describe, expect, it } from 'vitest';
import { Budget } from './budget.js';

describe('Budget', () => {
  it('counts what every share holds, says when the whole is at its limit, and takes a share back whole', () => {
    const budget = new Budget(5);
    const a = budget.share({});
    const b = budget.share({});
    a.add(3);
    b.add();
    expect([budget.total, a.exhausted]).toEqual([4, false]);
    b.add();
    expect([budget.total, a.exhausted, b.exhausted]).toEqual([5, true, true]);
    a.clear();
    expect([budget.total, a.size, b.size, b.exhausted]).toEqual([2, 0, 2, false]);
  });
});
