import { describe, expect, it } from 'vitest';
import { SessionVectorizer } from './session.js';

// A lifecycle 1 -> 2 -> 3, with an optional 4 somewhere after 1; 200 sessions.
const training = Array.from({ length: 200 }, (_, i) => (i % 4 === 0 ? [1, 4, 2, 2, 3] : [1, 2, 3]));
const v = SessionVectorizer.fit(training);
const feature = (row: Float64Array, name: string) => {
  const i = v.featureNames.indexOf(name);
  if (i < 0) throw new Error(`no feature ${name}`);
  return row[i];
};

describe('SessionVectorizer', () => {
  it('counts templates with idf weights that never vanish', () => {
    const row = v.transform([1, 2, 2, 3]);
    expect(feature(row, 'count(1)')).toBeCloseTo(1, 12); // in every session: idf = ln(201/201) + 1
    expect(feature(row, 'count(2)')).toBeCloseTo(2, 12);
    expect(feature(v.transform([1, 4, 2, 3]), 'count(4)')).toBeCloseTo(Math.log(201 / 51) + 1, 12);
    expect(feature(row, 'session length')).toBe(4);
  });

  it('sees nothing unusual in a usual session', () => {
    const row = v.transform([1, 2, 3]);
    expect(feature(row, 'lifecycle steps missing')).toBe(0);
    expect(feature(row, 'steps out of order')).toBe(0);
    expect(feature(row, 'unseen templates')).toBe(0);
    expect(Math.abs(feature(row, 'position(2)'))).toBeLessThan(0.2);
  });

  it('finds missing lifecycle steps, steps out of order and unseen templates', () => {
    expect(feature(v.transform([1, 2]), 'lifecycle steps missing')).toBe(1);
    const swapped = v.transform([1, 3, 2]);
    expect(feature(swapped, 'steps out of order')).toBe(1);
    expect(feature(swapped, 'position(3)')).toBeLessThan(-0.4);
    expect(feature(v.transform([3, 2, 1]), 'steps out of order')).toBe(3);
    expect(feature(v.transform([1, 2, 9, 9, 3]), 'unseen templates')).toBe(2);
  });

  it('writes a matrix whose rows equal transform, and round-trips through JSON', () => {
    const sessions = [[1, 2, 3], [3, 2, 1], [1, 4, 2, 3], []];
    const X = v.transformAll(sessions);
    expect(X.rows).toBe(4);
    expect(X.cols).toBe(v.featureNames.length);
    sessions.forEach((s, i) => expect(X.data.subarray(i * X.cols, (i + 1) * X.cols)).toEqual(v.transform(s)));
    const loaded = SessionVectorizer.fromJSON(JSON.parse(JSON.stringify(v)));
    expect(loaded.transformAll(sessions)).toEqual(X);
    expect(loaded.featureNames).toEqual(v.featureNames);
  });

  it('takes any numeric template id, -1 (an unknown shape) included', () => {
    const w = SessionVectorizer.fit([
      [-1, 5, 7],
      [-1, 5, 7],
      [-1, 5, 7],
      [-1, 5, 7],
      [-1, 5, 7],
    ]);
    expect(w.toJSON().orderRules).toEqual([
      [-1, 5],
      [-1, 7],
      [5, 7],
    ]);
    expect(w.transform([7, 5, -1])[w.featureNames.indexOf('steps out of order')]).toBe(3);
  });

  it('rejects empty training and foreign state', () => {
    expect(() => SessionVectorizer.fit([])).toThrow(/no training sessions/);
    expect(() => SessionVectorizer.fromJSON({ kind: 'novelty' } as never)).toThrow(/not a session vectorizer/);
  });
});
