import { IsolationForest as ReferenceForest } from 'ml-isolation-forest';
import { describe, expect, it } from 'vitest';
import { IsolationForest, averagePathLength } from './isolation-forest.js';
import { gaussianMatrix, rowOf, spearman } from './testing.js';

/** 2,000 standard normal rows with 5 planted outliers far out on every feature. */
function withOutliers() {
  const X = gaussianMatrix(2000, 5, 7);
  const planted = [10, 500, 999, 1500, 1999];
  for (const i of planted) rowOf(X, i).fill(6 + i / 1000);
  return { X, planted };
}

describe('IsolationForest', () => {
  it('uses the paper c(n)', () => {
    expect(averagePathLength(1)).toBe(0);
    expect(averagePathLength(2)).toBe(1);
    expect(averagePathLength(256)).toBeCloseTo(2 * (Math.log(255) + 0.5772156649) - (2 * 255) / 256, 12);
  });

  it('ranks planted outliers first', () => {
    const { X, planted } = withOutliers();
    const forest = IsolationForest.fit(X, { seed: 1 });
    const scores = forest.scoreMatrix(X);
    const top = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a]).slice(0, planted.length);
    expect(top.sort((a, b) => a - b)).toEqual(planted);
    expect(scores[planted[0]]).toBeGreaterThan(0.7);
    expect(forest.score(rowOf(X, planted[0]))).toBe(scores[planted[0]]);
  });

  it('attributes an outlier to the feature that isolates it', () => {
    const forest = IsolationForest.fit(gaussianMatrix(2000, 5, 9), { seed: 2 });
    const share = forest.attribution([0.1, -0.2, 0.3, 9, 0]);
    expect(share.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(share[3]).toBeGreaterThan(0.5);
    expect(forest.score([0.1, -0.2, 0.3, 9, 0])).toBeGreaterThan(forest.score([0.1, -0.2, 0.3, 0.5, 0]));
  });

  it('round-trips through JSON with identical scores', () => {
    const { X } = withOutliers();
    const forest = IsolationForest.fit(X, { seed: 3, trees: 50 });
    const loaded = IsolationForest.fromJSON(JSON.parse(JSON.stringify(forest)));
    expect(loaded.scoreMatrix(X)).toEqual(forest.scoreMatrix(X));
    expect(loaded.attribution(rowOf(X, 5))).toEqual(forest.attribution(rowOf(X, 5)));
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const { X } = withOutliers();
    const a = JSON.stringify(IsolationForest.fit(X, { seed: 11 }));
    expect(JSON.stringify(IsolationForest.fit(X, { seed: 11 }))).toBe(a);
    expect(JSON.stringify(IsolationForest.fit(X, { seed: 12 }))).not.toBe(a);
  });

  it('agrees in ranking with ml-isolation-forest', () => {
    const { X } = withOutliers();
    const rows = Array.from({ length: X.rows }, (_, i) => Array.from(rowOf(X, i)));
    const reference = new ReferenceForest({ nEstimators: 100 });
    reference.train(rows);
    const rho = spearman(IsolationForest.fit(X, { seed: 5 }).scoreMatrix(X), reference.predict(rows));
    expect(rho).toBeGreaterThan(0.6);
  });

  it('rejects rows of the wrong width and foreign state', () => {
    const forest = IsolationForest.fit(gaussianMatrix(100, 3, 1), { seed: 1, trees: 5 });
    expect(() => forest.score([1, 2])).toThrow(/expected 3 features, got 2/);
    expect(() => IsolationForest.fromJSON({ kind: 'autoencoder' } as never)).toThrow(/not an isolation forest/);
  });
});
