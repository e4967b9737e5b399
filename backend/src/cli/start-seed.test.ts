import { describe, expect, it } from 'vitest';
import { demoSeeds } from './start.js';

describe('the demo seeds', () => {
  it('play other incidents on every start unless --seed is given; a trained model stays the same', () => {
    const [first, second] = [demoSeeds(undefined, 1_765_000_000_000), demoSeeds(undefined, 1_765_000_060_000)];
    expect(first.traffic).not.toBe(second.traffic);
    expect(first.model).toBe(1);
    expect(second.model).toBe(1);
    expect(demoSeeds(7, 1)).toEqual({ traffic: 7, model: 7 });
    expect(demoSeeds(7, 2)).toEqual({ traffic: 7, model: 7 });
  });
});
