import * as tf from '@tensorflow/tfjs';
import type { Matrix } from '../src/types.js';
import type { AutoencoderState } from '../src/detectors/autoencoder.js';
import { tfBackend } from '../src/detectors/autoencoder-fit.js';

/**
 * The autoencoder as TensorFlow.js layers with seeded Glorot initialisers: the reference that the fit's hand-written
 * passes (autoencoder-fit.test.ts) and the scoring kernel are tested against.
 */
export function buildModel(cols: number, hidden: readonly number[], seed: number): tf.Sequential {
  const model = tf.sequential();
  hidden.forEach((units, i) => {
    model.add(
      tf.layers.dense({
        units,
        activation: 'tanh',
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed + i }),
        ...(i === 0 ? { inputShape: [cols] } : {}),
      }),
    );
  });
  model.add(
    tf.layers.dense({ units: cols, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + hidden.length }) }),
  );
  return model;
}

/**
 * Reconstruction errors of a saved autoencoder computed by TensorFlow.js (the layers it was fitted with): the
 * reference that the scoring kernel is tested and benchmarked against.
 */
export async function tfjsErrors(s: AutoencoderState, X: Matrix): Promise<Float64Array> {
  await tfBackend();
  const model = buildModel(s.cols, s.hidden, 0);
  const bytes = Buffer.from(s.weightData, 'base64');
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  let at = 0;
  const weights = s.weightShapes.map((shape) => {
    const size = shape.reduce((a, b) => a * b, 1);
    return tf.tensor(all.subarray((at += size) - size, at), shape);
  });
  model.setWeights(weights);
  tf.dispose(weights);
  const Z = new Float32Array(X.data.length);
  for (let i = 0; i < Z.length; i++) Z[i] = (X.data[i] - s.center[i % X.cols]) / s.scale[i % X.cols];
  const out = new Float64Array(X.rows);
  for (let lo = 0; lo < X.rows; lo += 8192) {
    const hi = Math.min(X.rows, lo + 8192);
    const err = tf.tidy(() => {
      const x = tf.tensor2d(Z.subarray(lo * X.cols, hi * X.cols), [hi - lo, X.cols]);
      return (model.apply(x) as tf.Tensor).sub(x).square().mean(1).dataSync();
    });
    out.set(err, lo);
  }
  model.dispose();
  return out;
}
