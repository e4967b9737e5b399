import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { Matrix } from '../types.js';
import { Autoencoder, type AutoencoderOptions, type AutoencoderState, type Progress } from './autoencoder.js';
import { mulberry32, shuffle } from './random.js';

const ROWS_PER_EPOCH = 16384;
const PATIENCE = 8;
const LEARNING_RATE = 3e-3;

/** Fits the autoencoder's weights with TensorFlow.js layers; every error along the way is the scoring kernel's. */
export async function fitAutoencoder(X: Matrix, opts: AutoencoderOptions): Promise<AutoencoderState> {
  if (X.rows < Autoencoder.MIN_ROWS) throw new Error(`Autoencoder.fit: need at least ${Autoencoder.MIN_ROWS} training rows`);
  const bad = X.data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new Error(`Autoencoder.fit: training row ${Math.floor(bad / X.cols)} has a non-finite value in feature ${bad % X.cols}`);
  }
  await tfBackend();
  const hidden = layerWidths(X.cols);
  const net: Net = { model: buildModel(X.cols, hidden, opts.seed), hidden, ...standardiser(X) };
  const rand = mulberry32(opts.seed ^ 0x9e3779b9);
  const epochs = opts.epochs ?? 60;
  const Z = standardise(X, net);
  const rows = shuffle(Int32Array.from({ length: X.rows }, (_, i) => i), rand);
  const trimShare = opts.trim ?? 0.01;
  await train(net, X, Z, rows, { epochs, rand, trim: trimShare, phase: 'train', onProgress: opts.onProgress });

  const drop = Math.floor(trimShare * X.rows);
  let kept = rows;
  if (drop > 0) {
    const err = scorer(net).scoreMatrix(X);
    const cut = Float64Array.from(err).sort()[X.rows - drop - 1];
    kept = rows.filter((i) => err[i] <= cut);
    const refit = { epochs: Math.max(5, Math.ceil(epochs / 3)), rand, trim: 0, phase: 'refit' as const, onProgress: opts.onProgress };
    await train(net, X, Z, kept, refit);
  }
  // Floor: a feature reconstructed perfectly in training would otherwise make any error infinitely unusual.
  const mean = scorer(net).meanAbsoluteErrors(rowsOf(X, kept));
  const floor = Math.max(1e-3, mean.reduce((a, b) => a + b, 0) / mean.length / 100);
  const state = stateOf(net, Array.from(mean, (v) => Math.max(v, floor)));
  net.model.dispose();
  return state;
}

/** The network being fitted, with the scaler fixed before fitting. */
interface Net {
  model: tf.Sequential;
  hidden: number[];
  center: Float64Array;
  scale: Float64Array;
}

function stateOf(net: Net, typicalError: number[]): AutoencoderState {
  const weights = net.model.getWeights();
  const values = weights.map((w) => w.dataSync() as Float32Array);
  const all = new Float32Array(values.reduce((n, v) => n + v.length, 0));
  let at = 0;
  for (const v of values) {
    all.set(v, at);
    at += v.length;
  }
  return {
    kind: 'autoencoder',
    cols: net.center.length,
    hidden: net.hidden,
    center: Array.from(net.center),
    scale: Array.from(net.scale),
    typicalError,
    weightShapes: weights.map((w) => w.shape),
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
  o: { epochs: number; rand: () => number; trim: number; phase: Progress['phase']; onProgress?: (p: Progress) => void },
): Promise<void> {
  const held = rows.length >= 20 ? Math.min(Math.ceil(rows.length / 10), 8192) : 0;
  const fitRows = held ? rows.slice(held) : rows.slice();
  const val = held ? rowsOf(X, rows.subarray(0, held)) : undefined;
  const batchSize = Math.max(32, Math.min(512, Math.floor(fitRows.length / 32)));
  const optimizer = tf.train.adam(LEARNING_RATE);
  let best = Infinity;
  let bestWeights: tf.Tensor[] | undefined;
  let stale = 0;
  for (let epoch = 1; epoch <= o.epochs && stale < PATIENCE; epoch++) {
    shuffle(fitRows, o.rand);
    const epochRows = fitRows.subarray(0, ROWS_PER_EPOCH);
    const x = tf.tensor2d(gather(Z, X.cols, epochRows, new Float32Array(epochRows.length * X.cols)), [epochRows.length, X.cols]);
    const loss = runEpoch(net.model, x, batchSize, optimizer);
    x.dispose();
    const valLoss = val ? trimmedMean(scorer(net).scoreMatrix(val), o.trim) : loss;
    o.onProgress?.({ phase: o.phase, epoch, epochs: o.epochs, loss, valLoss });
    if (valLoss < best * (1 - 1e-4)) {
      best = valLoss;
      stale = 0;
      tf.dispose(bestWeights);
      bestWeights = net.model.getWeights().map((w) => w.clone());
    } else {
      stale++;
    }
  }
  optimizer.dispose();
  if (bestWeights) {
    net.model.setWeights(bestWeights);
    tf.dispose(bestWeights);
  }
}

/** One pass over `x` in mini-batches (a plain loop: far less overhead per batch than model.fit); mean loss. */
function runEpoch(model: tf.Sequential, x: tf.Tensor2D, batchSize: number, optimizer: tf.Optimizer): number {
  const n = x.shape[0];
  let sum = 0;
  for (let lo = 0; lo < n; lo += batchSize) {
    const size = Math.min(batchSize, n - lo);
    const cost = tf.tidy(() => {
      const batch = x.slice(lo, size);
      return optimizer.minimize(() => tf.losses.meanSquaredError(batch, model.apply(batch) as tf.Tensor) as tf.Scalar, true)!;
    });
    sum += cost.dataSync()[0] * size;
    cost.dispose();
  }
  return sum / n;
}

/** The given rows of X, in that order. */
function rowsOf(X: Matrix, rows: ArrayLike<number>): Matrix {
  return { data: gather(X.data, X.cols, rows, new Float64Array(rows.length * X.cols)), rows: rows.length, cols: X.cols };
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

/** The autoencoder as TensorFlow.js layers; seeded Glorot initialisers. */
export function buildModel(cols: number, hidden: number[], seed: number): tf.Sequential {
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
  model.add(tf.layers.dense({ units: cols, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + hidden.length }) }));
  return model;
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
    process.stderr.write(`anomalog: TensorFlow.js wasm backend unavailable (${problem}); using the slower cpu backend\n`);
  }
  await tf.setBackend('cpu');
  return 'cpu';
}

function defaultWasmDir(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
}
