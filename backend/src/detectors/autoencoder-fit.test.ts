import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fitWeights, initialWeights, lossAndGradient, tfBackend, trainStep, warmUp } from './autoencoder-fit.js';
import { buildModel } from '../../testkit/autoencoder-reference.js';
import { gaussianMatrix } from '../../testkit/matrices.js';

/** The network of the web features: 17 -> 32 -> 16 -> 8 -> 16 -> 32 -> 17. */
const WIDTHS = [17, 32, 16, 8, 16, 32, 17];
const SEED = 5;

function batch(rows: number, seed: number): tf.Tensor2D {
  return tf.tensor2d(Float32Array.from(gaussianMatrix(rows, WIDTHS[0], seed).data), [rows, WIDTHS[0]]);
}

function layers(): tf.Sequential {
  return buildModel(WIDTHS[0], WIDTHS.slice(1, -1), SEED);
}

function flat(tensors: tf.Tensor[]): Float32Array {
  return tf.tidy(() => tf.concat(tensors.map((t) => t.flatten())).dataSync() as Float32Array);
}

/** Largest difference, relative to the largest magnitude of the reference. */
function relativeError(ours: Float32Array, reference: Float32Array): number {
  let diff = 0;
  let scale = 0;
  reference.forEach((r, i) => {
    diff = Math.max(diff, Math.abs(ours[i] - r));
    scale = Math.max(scale, Math.abs(r));
  });
  return diff / scale;
}

describe('the autoencoder fit, against TensorFlow.js layers', () => {
  beforeAll(() => tfBackend());

  it('starts from the weights the seeded layers start from', () => {
    const model = layers();
    expect(initialWeights(WIDTHS, SEED).dataSync()).toEqual(flat(model.getWeights()));
    model.dispose();
  });

  it("computes the loss and gradient of tfjs's gradient tape", () => {
    const model = layers();
    // weights away from the initial ones, biases included
    const start = model.getWeights();
    const weights = tf.randomNormal([flat(start).length], 0, 0.3, 'float32', 1) as tf.Tensor1D;
    model.setWeights(
      tf
        .split(
          weights,
          start.map((w) => w.size),
        )
        .map((part, i) => part.reshape(start[i].shape)),
    );
    const x = batch(300, 2);
    const ours = lossAndGradient(weights, WIDTHS, x);
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const reference = tf.variableGrads(
      () => tf.losses.meanSquaredError(x, model.apply(x) as tf.Tensor) as tf.Scalar,
      variables,
    );
    expect(ours.loss.dataSync()[0]).toBeCloseTo(reference.value.dataSync()[0], 5);
    expect(
      relativeError(ours.gradient.dataSync() as Float32Array, flat(variables.map((v) => reference.grads[v.name]))),
    ).toBeLessThan(1e-5);
    model.dispose();
  });

  it('takes the Adam steps tfjs takes on the layers (lr 3e-3, default betas and epsilon)', () => {
    const model = layers();
    const weights = tf.variable(initialWeights(WIDTHS, SEED));
    const [ourAdam, theirAdam] = [tf.train.adam(3e-3), tf.train.adam(3e-3)];
    for (let step = 0; step < 5; step++) {
      const x = batch(512, 10 + step);
      const ours = trainStep(weights, WIDTHS, x, ourAdam).dataSync()[0];
      const theirs = theirAdam
        .minimize(() => tf.losses.meanSquaredError(x, model.apply(x) as tf.Tensor) as tf.Scalar, true)!
        .dataSync()[0];
      expect(ours).toBeCloseTo(theirs, 5);
    }
    // each step moves a weight by up to 3e-3; float32 rounding (about 1e-7 here) by far less
    const reference = flat(model.getWeights());
    const ours = weights.dataSync();
    expect(Math.max(...reference.map((r, i) => Math.abs(ours[i] - r)))).toBeLessThan(1e-6);
    model.dispose();
  });
});

describe('warmUp', () => {
  it('trains until it is told to stop, and leaves no trace in the next fit', async () => {
    const X = gaussianMatrix(600, 17, 9);
    const before = await fitWeights(X, { seed: 4, schedule: 'short' });
    expect(await warmUp(() => true)).toBe(0);
    let asked = 0;
    expect(await warmUp(() => asked++ >= 3)).toBe(3);
    expect(await warmUp(() => false)).toBe(40);
    expect(await fitWeights(X, { seed: 4, schedule: 'short' })).toEqual(before);
  });
});
