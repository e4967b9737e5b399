import { describe, expect, it } from 'vitest';
import { Novelty, countVectorKey } from './novelty.js';

describe('Novelty', () => {
  const sessions = [
    [1, 2, 3, 3],
    [1, 2, 3],
    [1, 2, 4],
  ];
  const features = { data: Float64Array.from([0, 100, 10, 200, 5, 150]), rows: 3, cols: 2 };
  const novelty = Novelty.fit({ templates: [7], sessions, features, featureNames: ['status', 'bytes'] });

  it('says nothing for what training saw', () => {
    expect(novelty.check({ template: 7 })).toEqual([]);
    expect(novelty.check({ template: 4, session: [3, 1, 3, 2], row: [5, 150] })).toEqual([]);
  });

  it('flags a template never seen', () => {
    const [s] = novelty.check({ template: 99 });
    expect(s).toMatchObject({ kind: 'novel-template', reason: 'new template never seen in training' });
    expect(s.strength).toBeGreaterThanOrEqual(0.65);
  });

  it('flags a session mixing known steps in counts never seen, and one with an unknown step', () => {
    const [mix] = novelty.check({ session: [1, 2, 3, 3, 3] });
    expect(mix.kind).toBe('novel-count-vector');
    expect(mix.strength).toBeLessThan(0.45); // below low: not an anomaly on its own
    const [unknown] = novelty.check({ session: [1, 2, 8, 9] });
    expect(unknown).toMatchObject({ kind: 'novel-template', reason: 'session has 2 templates never seen in training' });
  });

  it('flags values out of range, more strongly the further out', () => {
    expect(novelty.check({ row: [10.9, 209] })).toEqual([]); // within the 10% margin
    const [near] = novelty.check({ row: [5, 230] });
    const [far] = novelty.check({ row: [5, 5000] });
    expect(near.reason).toBe('bytes = 230 outside the training range [90, 210]');
    expect(far.strength).toBeGreaterThan(near.strength);
    expect(novelty.check({ row: [Number.NaN, 150] })[0].kind).toBe('out-of-range');
    expect(() => novelty.check({ row: [1] })).toThrow(/expected 2 features, got 1/);
  });

  it('round-trips through JSON', () => {
    const loaded = Novelty.fromJSON(JSON.parse(JSON.stringify(novelty)));
    for (const obs of [{ template: 99 }, { session: [1, 2, 3, 3, 3] }, { row: [5, 5000] }]) {
      expect(loaded.check(obs)).toEqual(novelty.check(obs));
    }
    expect(() => Novelty.fromJSON({} as never)).toThrow(/not a novelty state/);
  });

  it('keys count vectors independently of order', () => {
    expect(countVectorKey([3, 1, 3])).toBe(countVectorKey([1, 3, 3]));
    expect(countVectorKey([1, 3])).not.toBe(countVectorKey([1, 3, 3]));
    expect(countVectorKey([1, 23])).not.toBe(countVectorKey([12, 3]));
  });
});
