import { IsolationForest as ReferenceForest } from 'ml-isolation-forest';
import { describe, expect, it } from 'vitest';
import type { Matrix } from '../types.js';
import { IsolationForest, averagePathLength, type IsolationForestState } from './isolation-forest.js';
import { mulberry32 } from './random.js';
import { gaussianMatrix, rowOf, spearman } from '../../testkit/matrices.js';

/** 2,000 standard normal rows with 5 planted outliers far out on every feature. */
function withOutliers() {
  const X = gaussianMatrix(2000, 5, 7);
  const planted = [10, 500, 999, 1500, 1999];
  for (const i of planted) rowOf(X, i).fill(6 + i / 1000);
  return { X, planted };
}

/** The plain walk down the preorder trees, one row and one tree at a time: what the fast kernel must reproduce. */
function referencePathLengths(s: IsolationForestState, X: Matrix): Float64Array {
  const total = new Float64Array(X.rows);
  for (const root of s.roots) {
    for (let i = 0; i < X.rows; i++) {
      let node = root;
      while (s.feature[node] >= 0) {
        node = X.data[i * X.cols + s.feature[node]] < s.value[node] ? node + 1 : s.right[node];
      }
      total[i] += s.value[node];
    }
  }
  return total;
}

const bits = (a: Float64Array) => Array.from(new BigUint64Array(Float64Array.from(a).buffer));

/** Rows that land on every edge of a split: the forest's own thresholds, NaN, infinities, signed zeros. */
function awkwardRows(forest: IsolationForest, rows: number, seed: number): Matrix {
  const { feature, value } = forest.toJSON();
  const thresholds = value.filter((_, node) => feature[node] >= 0);
  const special = [NaN, Infinity, -Infinity, 0, -0, Number.MIN_VALUE, Number.MAX_VALUE];
  const rand = mulberry32(seed);
  const X = gaussianMatrix(rows, forest.cols, seed);
  for (let k = 0; k < X.data.length; k++) {
    const r = rand();
    if (r < 0.3 && thresholds.length) X.data[k] = thresholds[Math.floor(rand() * thresholds.length)];
    else if (r < 0.35) X.data[k] = special[Math.floor(rand() * special.length)];
  }
  return X;
}

function expectReferenceBits(forest: IsolationForest, X: Matrix): void {
  const fast = new Float64Array(X.rows);
  forest.sumPathLengths(X.data, X.rows, fast);
  const reference = referencePathLengths(forest.toJSON(), X);
  expect(bits(fast)).toEqual(bits(reference));
  expect(bits(forest.scoreMatrix(X))).toEqual(bits(forest.scoresOf(reference)));
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
    const top = Array.from(scores.keys())
      .sort((a, b) => scores[b] - scores[a])
      .slice(0, planted.length);
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

  it('scores with the same bits as the plain preorder walk', () => {
    for (const [rows, cols, trees, seed] of [
      [3000, 17, 100, 1],
      [2500, 5, 13, 2],
      [700, 1, 9, 3],
    ]) {
      const X = gaussianMatrix(rows, cols, seed);
      X.data[5] = NaN;
      X.data[9] = Infinity;
      const forest = IsolationForest.fit(X, { seed, trees });
      // The kernel's block grows with its batches: 5 rows fit the first block, 100 grow it, 2049 take it to its most.
      for (const n of [5, 100]) expectReferenceBits(forest, awkwardRows(forest, n, seed + n));
      expectReferenceBits(forest, awkwardRows(forest, 2049, seed)); // two full blocks of rows and one odd row
      expectReferenceBits(forest, X);
    }
  });

  it('scores trees shallower than the height limit and tiny samples exactly', () => {
    const coarse = gaussianMatrix(400, 4, 4).data.map((v) => Math.round(v));
    const threeRows = Float64Array.from({ length: 300 * 2 }, (_, k) => (Math.floor(k / 2) % 3) * (k % 2 ? 1 : -1));
    const cases: [Matrix, number][] = [
      [{ data: coarse, rows: 400, cols: 4 }, 256], // many duplicate rows: leaves well above depth 8
      [{ data: threeRows, rows: 300, cols: 2 }, 256], // 3 distinct rows: every tree at most 2 deep
      [gaussianMatrix(40, 3, 5), 256], // psi = 40
      [gaussianMatrix(300, 3, 6), 5], // psi = 5
      [gaussianMatrix(2, 3, 7), 256], // depth 1
      [gaussianMatrix(1, 3, 8), 256], // single-leaf trees: depth 0
    ];
    for (const [X, sampleSize] of cases) {
      const forest = IsolationForest.fit(X, { seed: 3, trees: 20, sampleSize });
      expectReferenceBits(forest, awkwardRows(forest, 37, 9));
      expectReferenceBits(forest, X);
    }
  });

  it('scores NaN thresholds (never fitted, but loadable) exactly: every row goes right', () => {
    const state = IsolationForest.fit(gaussianMatrix(500, 3, 10), { seed: 4, trees: 10 }).toJSON();
    state.value = state.value.map((v, node) => (state.feature[node] >= 0 && node % 3 === 0 ? NaN : v));
    const forest = IsolationForest.fromJSON(state);
    expectReferenceBits(forest, awkwardRows(forest, 300, 11));
  });

  it('rejects rows of the wrong width and foreign state', () => {
    const forest = IsolationForest.fit(gaussianMatrix(100, 3, 1), { seed: 1, trees: 5 });
    expect(() => forest.score([1, 2])).toThrow(/expected 3 features, got 2/);
    expect(() => IsolationForest.fromJSON({ kind: 'autoencoder' } as never)).toThrow(/not an isolation forest/);
  });
});
