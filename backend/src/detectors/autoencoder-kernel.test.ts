import { describe, expect, it } from 'vitest';
import { BLOCK, DenseKernel } from './autoencoder-kernel.js';
import { mulberry32 } from './random.js';

/** The same layers in float64 JavaScript: tanh hidden layers, a linear last layer. */
function reference(widths: number[], weights: Float32Array, row: number[]): number[] {
  let x = row;
  let at = 0;
  for (let l = 0; l + 1 < widths.length; l++) {
    const [inN, outN] = [widths[l], widths[l + 1]];
    const y = Array.from(weights.subarray(at + inN * outN, at + inN * outN + outN));
    for (let k = 0; k < inN; k++) for (let j = 0; j < outN; j++) y[j] += x[k] * weights[at + k * outN + j];
    at += inN * outN + outN;
    x = l + 2 < widths.length ? y.map(Math.tanh) : y;
  }
  return x;
}

describe('DenseKernel', () => {
  it('computes the dense layers to float32 precision, for widths that are not multiples of 4', () => {
    const widths = [7, 13, 5, 13, 7];
    const rand = mulberry32(1);
    const size = widths.slice(1).reduce((n, out, l) => n + widths[l] * out + out, 0);
    const weights = Float32Array.from({ length: size }, () => rand() - 0.5);
    const kernel = new DenseKernel(widths, weights);
    const rows = Array.from({ length: BLOCK - 1 }, () => Array.from({ length: 7 }, () => 4 * (rand() - 0.5)));
    rows.forEach((row, r) => kernel.input.set(row, r * kernel.stride));
    kernel.run(rows.length);
    rows.forEach((row, r) => {
      const want = reference(widths, weights, Array.from(Float32Array.from(row)));
      want.forEach((v, f) =>
        expect(Math.abs(kernel.output[r * kernel.stride + f] - v)).toBeLessThan(2e-6 * (1 + Math.abs(v))),
      );
    });
  });

  it('has a tanh within a few float32 ulps of Math.tanh', () => {
    const eye = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
    const kernel = new DenseKernel([4, 4, 4], Float32Array.from([...eye, 0, 0, 0, 0, ...eye, 0, 0, 0, 0]));
    let worst = 0;
    for (let lo = -12; lo < 12; lo += 0.25) {
      kernel.input.forEach((_, i) => (kernel.input[i] = lo + (0.25 * i) / kernel.input.length));
      kernel.run(BLOCK);
      kernel.input.forEach((x, i) => (worst = Math.max(worst, Math.abs(kernel.output[i] - Math.tanh(x)))));
    }
    expect(worst).toBeLessThan(4 * 2 ** -23);
  });

  it('refuses weights that do not fit the widths', () => {
    expect(() => new DenseKernel([4, 2, 4], new Float32Array(10))).toThrow(/weight data does not match/);
  });
});
