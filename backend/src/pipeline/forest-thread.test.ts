import { describe, expect, it } from 'vitest';
import { IsolationForest } from '../detectors/isolation-forest.js';
import { gaussianMatrix } from '../detectors/testing.js';
import type { Matrix } from '../types.js';
import { ThreadedForest } from './forest-thread.js';

function rows(X: Matrix, from: number, to: number): Matrix {
  return { data: X.data.subarray(from * X.cols, to * X.cols), rows: to - from, cols: X.cols };
}

describe('ThreadedForest', () => {
  const X = gaussianMatrix(20_000, 6, 3);
  X.data[7 * X.cols + 2] = NaN;
  const forest = IsolationForest.fit(X, { seed: 5 });

  it('gives the same bits as the forest alone, batch after batch, large and small', async () => {
    const threaded = new ThreadedForest(forest, 0);
    expect(await threaded.whenReady()).toBe(true);
    const cuts = [0, 3000, 3100, 15_000, 20_000];
    for (let k = 1; k < cuts.length; k++) {
      const batch = rows(X, cuts[k - 1], cuts[k]);
      expect(threaded.scoreMatrix(batch)).toEqual(forest.scoreMatrix(batch));
    }
  });
});
