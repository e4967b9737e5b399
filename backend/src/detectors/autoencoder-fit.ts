import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { Matrix } from '../types.js';
import {
  Autoencoder,
  weightShapes,
  type AutoencoderOptions,
  type AutoencoderState,
  type Progress,
  type Schedule,
} from './autoencoder.js';
import { mulberry32, shuffle } from './random.js';

const PATIENCE = 8;

/**
 * The schedules (see Schedule). `short` exists for large line samples, where `full` costs 5.5 s of CPU of a 9 s scan
 * of 1,000,000 access lines (1.3 million rows through the network, about 2,600 steps); `short` (65,000 rows, 256
 * steps) costs 1.1 s with loading TensorFlow.js and flags as well or better on the line benchmarks (generator F1
 * 0.966 -> 0.970; 8 epochs and 3, or batches of 512 at 0.03, give 0.948). Session models keep `full`: on HDFS
 * sessions `short` drops the autoencoder's F1 from 0.979 to 0.925.
 */
const SCHEDULES: Record<
  Schedule,
  { epochs: number; minRefitEpochs: number; rowsPerEpoch: number; batch: number; learningRate: number }
> = {
  full: { epochs: 60, minRefitEpochs: 5, rowsPerEpoch: 16384, batch: 512, learningRate: 3e-3 },
  short: { epochs: 12, minRefitEpochs: 4, rowsPerEpoch: 4096, batch: 256, learningRate: 0.02 },
};

/** Fits the autoencoder's weights with TensorFlow.js; every error along the way is the scoring kernel's. */
export async function fitWeights(X: Matrix, opts: AutoencoderOptions): Promise<AutoencoderState> {
  if (X.rows < Autoencoder.MIN_ROWS)
    throw new Error(`fitAutoencoder: need at least ${Autoencoder.MIN_ROWS} training rows`);
  const bad = X.data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new Error(
      `fitAutoencoder: training row ${Math.floor(bad / X.cols)} has a non-finite value in feature ${bad % X.cols}`,
    );
  }
  await tfBackend();
  const widths = [X.cols, ...layerWidths(X.cols), X.cols];
  const weights = tf.tidy(() => tf.variable(initialWeights(widths, opts.seed)));
  const net: Net = { weights, widths, ...standardiser(X) };
  const rand = mulberry32(opts.seed ^ 0x9e3779b9);
  const schedule = SCHEDULES[opts.schedule ?? 'full'];
  const epochs = opts.epochs ?? schedule.epochs;
  const Z = standardise(X, net);
  const rows = shuffle(
    Int32Array.from({ length: X.rows }, (_, i) => i),
    rand,
  );
  const trimShare = opts.trim ?? 0.01;
  const o = { ...schedule, rand, onProgress: opts.onProgress };
  await train(net, X, Z, rows, { ...o, epochs, trim: trimShare, phase: 'train' });

  const drop = Math.floor(trimShare * X.rows);
  let kept = rows;
  if (drop > 0) {
    const err = scorer(net).scoreMatrix(X);
    const cut = Float64Array.from(err).sort()[X.rows - drop - 1];
    kept = rows.filter((i) => err[i] <= cut);
    await train(net, X, Z, kept, {
      ...o,
      epochs: Math.max(schedule.minRefitEpochs, Math.ceil(epochs / 3)),
      trim: 0,
      phase: 'refit',
    });
  }
  // Floor: a feature reconstructed perfectly in training would otherwise make any error infinitely unusual.
  const mean = scorer(net).meanAbsoluteErrors(rowsOf(X, kept));
  const floor = Math.max(1e-3, mean.reduce((a, b) => a + b, 0) / mean.length / 100);
  const state = stateOf(
    net,
    Array.from(mean, (v) => Math.max(v, floor)),
  );
  net.weights.dispose();
  return state;
}

/** Most rounds `warmUp` trains (two steps each): 30 did as well as 100 (below). */
const WARM_ROUNDS = 40;

/**
 * Trains a throwaway network on made-up rows, a round of steps at a time, until `stop()` says a fit is waiting (or
 * WARM_ROUNDS): the autoencoder's thread does it while the caller still reads its lines, on the core the caller does
 * not use. The first fit after TensorFlow.js loads runs slower than the next ones (its JavaScript and WebAssembly are
 * compiled as they run): 866-1,167 ms against 505-608 ms for the short schedule on 50,000 rows; and it is on the
 * critical path of a scan, whose main thread waits for it. In `anomalog train` of 100,000 access lines, on the
 * machine at load 5 (6 Dec 2026), the fit took 917-1,414 ms without it, 543-1,029 ms after 100 rounds and 745-1,001 ms
 * after 30. Nothing of it is kept, so no fit's result changes. Returns the rounds trained.
 */
export async function warmUp(stop: () => boolean): Promise<number> {
  await tfBackend();
  const cols = 17;
  const widths = [cols, ...layerWidths(cols), cols];
  const rand = mulberry32(1);
  const X = { data: Float64Array.from({ length: 512 * cols }, () => rand()), rows: 512, cols };
  const net: Net = { weights: tf.tidy(() => tf.variable(initialWeights(widths, 1))), widths, ...standardiser(X) };
  const x = standardise(X, net);
  const optimizer = tf.train.adam(0.01);
  let round = 0;
  for (; round < WARM_ROUNDS && !stop(); round++) {
    runEpoch(net, x, 256, optimizer);
    if (round % 16 === 0) scorer(net).scoreMatrix(X);
    // a fit's message comes in between rounds
    await new Promise((resolve) => setImmediate(resolve));
  }
  optimizer.dispose();
  net.weights.dispose();
  return round;
}

/** The network being fitted, with the scaler fixed before fitting. */
interface Net {
  /** Every weight in one flat variable, in the saved order (see weightShapes): one Adam update covers them all. */
  weights: tf.Variable<tf.Rank.R1>;
  /** Layer widths: input, hidden..., output. */
  widths: number[];
  center: Float64Array;
  scale: Float64Array;
}

function stateOf(net: Net, typicalError: number[]): AutoencoderState {
  const all = net.weights.dataSync() as Float32Array;
  return {
    kind: 'autoencoder',
    cols: net.center.length,
    hidden: net.widths.slice(1, -1),
    center: Array.from(net.center),
    scale: Array.from(net.scale),
    typicalError,
    weightShapes: weightShapes(net.widths),
    weightData: Buffer.from(all.buffer, all.byteOffset, all.byteLength).toString('base64'),
  };
}

/** The network's current weights as the scoring autoencoder (its typical errors still 1). */
function scorer(net: Net): Autoencoder {
  return Autoencoder.fromJSON(stateOf(net, new Array<number>(net.center.length).fill(1)));
}

/**
 * Epochs of shuffled mini-batches with early stopping on a held-out tenth of `rows`; keeps the best weights.
 * The validation loss leaves out the worst `trim` share of held-out rows, so a few rows the model should not
 * learn do not decide when to stop.
 */
async function train(
  net: Net,
  X: Matrix,
  Z: Float32Array,
  rows: Int32Array,
  o: (typeof SCHEDULES)[Schedule] & {
    rand: () => number;
    trim: number;
    phase: Progress['phase'];
    onProgress?: (p: Progress) => void;
  },
): Promise<void> {
  const held = rows.length >= 20 ? Math.min(Math.ceil(rows.length / 10), 8192) : 0;
  const fitRows = held ? rows.slice(held) : rows.slice();
  const val = held ? rowsOf(X, rows.subarray(0, held)) : undefined;
  const batchSize = Math.max(32, Math.min(o.batch, Math.floor(fitRows.length / 32)));
  const optimizer = tf.train.adam(o.learningRate);
  let best = Infinity;
  let bestWeights: tf.Tensor1D | undefined;
  let stale = 0;
  for (let epoch = 1; epoch <= o.epochs && stale < PATIENCE; epoch++) {
    shuffle(fitRows, o.rand);
    const epochRows = fitRows.subarray(0, o.rowsPerEpoch);
    const x = gather(Z, X.cols, epochRows, new Float32Array(epochRows.length * X.cols));
    const loss = runEpoch(net, x, batchSize, optimizer);
    const valLoss = val ? trimmedMean(scorer(net).scoreMatrix(val), o.trim) : loss;
    o.onProgress?.({ phase: o.phase, epoch, epochs: o.epochs, loss, valLoss });
    if (valLoss < best * (1 - 1e-4)) {
      best = valLoss;
      stale = 0;
      bestWeights?.dispose();
      bestWeights = net.weights.clone();
    } else {
      stale++;
    }
  }
  optimizer.dispose();
  if (bestWeights) {
    net.weights.assign(bestWeights);
    bestWeights.dispose();
  }
}

/**
 * One pass over the rows of `x` in mini-batches; mean loss. Each batch is its own tensor: slicing one tensor of the
 * epoch would copy all of it per batch (tfjs-backend-wasm's slice reads its whole input).
 */
function runEpoch(net: Net, x: Float32Array, batchSize: number, optimizer: tf.Optimizer): number {
  const cols = net.widths[0];
  const n = x.length / cols;
  let sum = 0;
  for (let lo = 0; lo < n; lo += batchSize) {
    const size = Math.min(batchSize, n - lo);
    const batch = x.subarray(lo * cols, (lo + size) * cols);
    const cost = tf.tidy(() => trainStep(net.weights, net.widths, tf.tensor2d(batch, [size, cols]), optimizer));
    sum += cost.dataSync()[0] * size;
    cost.dispose();
  }
  return sum / n;
}

/** One Adam step on a batch (TensorFlow.js's own Adam, on the flat weights); the batch's loss before the step. */
export function trainStep(
  weights: tf.Variable<tf.Rank.R1>,
  widths: readonly number[],
  batch: tf.Tensor2D,
  optimizer: tf.Optimizer,
): tf.Scalar {
  return tf.tidy(() => {
    const { loss, gradient } = lossAndGradient(weights, widths, batch);
    optimizer.applyGradients([{ name: weights.name, tensor: gradient }]);
    return loss;
  });
}

/**
 * Mean squared reconstruction error of a batch and its gradient with respect to the flat weights, by explicit
 * forward and backward passes: about four times faster per step than tfjs's gradient tape on tfjs-backend-wasm,
 * where matMul with a transposed operand (which the tape's matMul gradients use) and tanh are scalar loops. Here
 * operands are transposed first, so that every matMul runs on XNNPACK, and tanh uses the vectorised sigmoid.
 */
export function lossAndGradient(
  weights: tf.Tensor1D,
  widths: readonly number[],
  x: tf.Tensor2D,
): { loss: tf.Scalar; gradient: tf.Tensor1D } {
  return tf.tidy(() => {
    const parts = tf.split(
      weights,
      weightShapes(widths).map((shape) => tf.util.sizeFromShape(shape)),
    );
    const layers = widths
      .slice(1)
      .map((out, l) => ({ kernel: tf.reshape<tf.Rank.R2>(parts[2 * l], [widths[l], out]), bias: parts[2 * l + 1] }));
    const last = layers.length - 1;
    // inputs[l] is layer l's input; inputs[last + 1] the reconstruction
    const inputs = [x];
    layers.forEach(({ kernel, bias }, l) => {
      const z = tf.add<tf.Tensor2D>(tf.matMul(inputs[l], kernel), bias);
      inputs.push(l < last ? tanh(z) : z);
    });
    const error = tf.sub(inputs[last + 1], x);
    const loss = tf.mean<tf.Scalar>(tf.square(error));
    // delta: the loss's gradient with respect to the current layer's pre-activation z
    let delta = tf.mul<tf.Tensor2D>(error, 2 / error.size);
    const gradients: tf.Tensor1D[] = [];
    for (let l = last; l >= 0; l--) {
      gradients[2 * l] = tf.reshape(tf.matMul(tf.transpose(inputs[l]), delta), [-1]);
      gradients[2 * l + 1] = tf.sum(delta, 0);
      if (l > 0) delta = tf.mul(tf.matMul(delta, tf.transpose(layers[l].kernel)), tf.sub(1, tf.square(inputs[l])));
    }
    return { loss, gradient: tf.concat<tf.Tensor1D>(gradients) };
  });
}

/** tanh z = 2 sigmoid(2z) - 1 */
function tanh(z: tf.Tensor2D): tf.Tensor2D {
  return tf.sub(tf.mul(tf.sigmoid(tf.mul(z, 2)), 2), 1);
}

/**
 * The starting weights, flat: seeded Glorot-uniform kernels (seed + layer) and zero biases, as tf.layers.dense makes
 * them (uniform within ±sqrt(6 / (fan in + fan out))), from tfjs-core alone: tfjs's layers take a quarter of a second to load.
 */
export function initialWeights(widths: readonly number[], seed: number): tf.Tensor1D {
  return tf.tidy(() =>
    tf.concat(
      widths.slice(1).flatMap((out, l) => {
        const limit = Math.sqrt(3 / Math.max(1, (widths[l] + out) / 2));
        return [tf.randomUniform([widths[l] * out], -limit, limit, 'float32', seed + l), tf.zeros([out])];
      }),
    ),
  );
}

/** The given rows of X, in that order. */
function rowsOf(X: Matrix, rows: ArrayLike<number>): Matrix {
  return {
    data: gather(X.data, X.cols, rows, new Float64Array(rows.length * X.cols)),
    rows: rows.length,
    cols: X.cols,
  };
}

function gather<T extends Float32Array | Float64Array>(data: T, cols: number, rows: ArrayLike<number>, out: T): T {
  for (let i = 0; i < rows.length; i++) out.set(data.subarray(rows[i] * cols, rows[i] * cols + cols), i * cols);
  return out;
}

function standardise(X: Matrix, s: { center: Float64Array; scale: Float64Array }): Float32Array {
  const out = new Float32Array(X.rows * X.cols);
  for (let i = 0; i < X.data.length; i++) {
    const f = i % X.cols;
    out[i] = (X.data[i] - s.center[f]) / s.scale[f];
  }
  return out;
}

/** Mean of the values without the largest `share` of them. */
function trimmedMean(values: Float64Array, share: number): number {
  const keep = Math.max(1, values.length - Math.floor(share * values.length));
  const sorted = values.slice().sort();
  let sum = 0;
  for (let i = 0; i < keep; i++) sum += sorted[i];
  return sum / keep;
}

/**
 * Mean and standard deviation per feature. The floor keeps a feature that was (nearly) constant in training from
 * dividing by zero while still making any change in it stand out: 1% of its magnitude, at least 0.01.
 */
function standardiser(X: Matrix): { center: Float64Array; scale: Float64Array } {
  const center = new Float64Array(X.cols);
  const sq = new Float64Array(X.cols);
  for (let i = 0; i < X.data.length; i++) center[i % X.cols] += X.data[i];
  center.forEach((s, f) => (center[f] = s / X.rows));
  for (let i = 0; i < X.data.length; i++) sq[i % X.cols] += (X.data[i] - center[i % X.cols]) ** 2;
  const scale = sq.map((s, f) => Math.max(Math.sqrt(s / X.rows), 0.01 * Math.max(1, Math.abs(center[f]))));
  return { center, scale };
}

/** 32 -> 16 -> 8 -> 16 -> 32, narrowed for few features so the code stays smaller than the input. */
function layerWidths(cols: number): number[] {
  const outer = Math.min(32, Math.max(4, 2 * cols));
  const inner = Math.min(16, Math.max(3, cols));
  const code = Math.min(8, Math.max(1, Math.floor(cols / 2)));
  return [outer, inner, code, inner, outer];
}

let backend: Promise<string> | undefined;

/**
 * Selects the TensorFlow.js backend once per process: wasm, or cpu when wasm cannot load (said once on stderr).
 * ANOMALOG_TF_BACKEND=cpu forces cpu; ANOMALOG_TF_WASM_PATH overrides where the .wasm files are.
 */
export function tfBackend(): Promise<string> {
  backend ??= selectBackend();
  return backend;
}

async function selectBackend(): Promise<string> {
  tf.env().set('PROD', true); // no debug checks, and no tfjs banners on the console
  if (process.env.ANOMALOG_TF_BACKEND !== 'cpu') {
    const dir = process.env.ANOMALOG_TF_WASM_PATH ?? defaultWasmDir();
    let problem = `no tfjs-backend-wasm.wasm in ${dir}`;
    if (existsSync(path.join(dir, 'tfjs-backend-wasm.wasm'))) {
      setWasmPaths(dir.endsWith('/') ? dir : `${dir}/`);
      try {
        if (await tf.setBackend('wasm')) return 'wasm';
        problem = 'it failed to initialise';
      } catch (e) {
        problem = (e as Error).message;
      }
    }
    process.stderr.write(
      `anomalog: TensorFlow.js wasm backend unavailable (${problem}); using the slower cpu backend\n`,
    );
  }
  await import('@tensorflow/tfjs-backend-cpu');
  await tf.setBackend('cpu');
  return 'cpu';
}

function defaultWasmDir(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
}
