import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { Matrix } from '../types.js';
import { mulberry32, shuffle } from './random.js';

export interface Progress {
  /** `train` first; `refit` after the rows the first model reconstructs worst were dropped. */
  phase: 'train' | 'refit';
  epoch: number;
  epochs: number;
  loss: number;
  valLoss: number;
}

export interface AutoencoderOptions {
  seed: number;
  /** Most epochs per phase (default 60); early stopping usually ends sooner. */
  epochs?: number;
  /** Share of training rows with the worst reconstruction dropped before the refit (default 0.01). */
  trim?: number;
  onProgress?: (p: Progress) => void;
}

export interface AutoencoderState {
  kind: 'autoencoder';
  cols: number;
  /** Hidden layer widths, encoder and decoder. */
  hidden: number[];
  center: number[];
  scale: number[];
  /** Mean absolute reconstruction error of each feature on the training data (standardised units). */
  typicalError: number[];
  /** Shapes of the weight tensors (kernel, bias per layer), in order. */
  weightShapes: number[][];
  /** float32 weight values, base64, in `weightShapes` order. */
  weightData: string;
}

const SCORE_BATCH = 8192;
const ROWS_PER_EPOCH = 16384;
const PATIENCE = 8;
const LEARNING_RATE = 3e-3;

/**
 * Dense autoencoder on standardised features: input -> 32 -> 16 -> 8 -> 16 -> 32 -> input (narrower for few
 * features). The anomaly score is the mean squared reconstruction error in standardised units.
 */
export class Autoencoder {
  private constructor(
    private readonly model: tf.Sequential,
    private readonly hidden: number[],
    private readonly center: Float64Array,
    private readonly scale: Float64Array,
    private typicalError: Float64Array,
  ) {}

  get cols(): number {
    return this.center.length;
  }

  static async fit(X: Matrix, opts: AutoencoderOptions): Promise<Autoencoder> {
    if (X.rows < 2) throw new Error('Autoencoder.fit: need at least 2 training rows');
    const bad = X.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new Error(`Autoencoder.fit: training row ${Math.floor(bad / X.cols)} has a non-finite value in feature ${bad % X.cols}`);
    }
    await tfBackend();
    const { center, scale } = standardiser(X);
    const hidden = layerWidths(X.cols);
    const ae = new Autoencoder(buildModel(X.cols, hidden, opts.seed), hidden, center, scale, new Float64Array(X.cols));
    const rand = mulberry32(opts.seed ^ 0x9e3779b9);
    const epochs = opts.epochs ?? 60;
    const Z = ae.standardise(X);
    const rows = shuffle(Int32Array.from({ length: X.rows }, (_, i) => i), rand);
    const trimShare = opts.trim ?? 0.01;
    await ae.train(Z, rows, { epochs, rand, trim: trimShare, phase: 'train', onProgress: opts.onProgress });

    const drop = Math.floor(trimShare * X.rows);
    let kept = rows;
    if (drop > 0) {
      const err = ae.errors(Z, X.rows);
      const cut = Float64Array.from(err).sort()[X.rows - drop - 1];
      kept = rows.filter((i) => err[i] <= cut);
      const refit = { epochs: Math.max(5, Math.ceil(epochs / 3)), rand, trim: 0, phase: 'refit' as const, onProgress: opts.onProgress };
      await ae.train(Z, kept, refit);
    }
    ae.typicalError = ae.meanAbsoluteErrors(Z, kept);
    return ae;
  }

  /** Frees the model's tensors; the autoencoder cannot score afterwards. */
  dispose(): void {
    this.model.dispose();
  }

  /** Reconstruction error per row: mean squared error over the features, in standardised units. */
  scoreMatrix(X: Matrix): Float64Array {
    this.checkWidth(X.cols);
    return this.errors(this.standardise(X), X.rows);
  }

  /** Per feature: absolute reconstruction error over that feature's typical training error (1 = as usual). */
  featureErrors(row: ArrayLike<number>): Float64Array {
    this.checkWidth(row.length);
    const z = this.standardise({ data: Float64Array.from(row), rows: 1, cols: row.length });
    const out = tf.tidy(() => {
      const x = tf.tensor2d(z, [1, this.cols]);
      return (this.model.apply(x) as tf.Tensor).sub(x).abs().dataSync();
    });
    return Float64Array.from(out, (e, f) => e / this.typicalError[f]);
  }

  toJSON(): AutoencoderState {
    const weights = this.model.getWeights();
    const values = weights.map((w) => w.dataSync() as Float32Array);
    const all = new Float32Array(values.reduce((n, v) => n + v.length, 0));
    let at = 0;
    for (const v of values) {
      all.set(v, at);
      at += v.length;
    }
    return {
      kind: 'autoencoder',
      cols: this.cols,
      hidden: this.hidden,
      center: Array.from(this.center),
      scale: Array.from(this.scale),
      typicalError: Array.from(this.typicalError),
      weightShapes: weights.map((w) => w.shape),
      weightData: Buffer.from(all.buffer, all.byteOffset, all.byteLength).toString('base64'),
    };
  }

  static async fromJSON(s: AutoencoderState): Promise<Autoencoder> {
    if (s?.kind !== 'autoencoder' || typeof s.weightData !== 'string') {
      throw new Error('Autoencoder.fromJSON: not an autoencoder state');
    }
    await tfBackend();
    const bytes = Buffer.from(s.weightData, 'base64');
    const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const model = buildModel(s.cols, s.hidden, 0);
    let at = 0;
    const tensors = s.weightShapes.map((shape) => {
      const size = shape.reduce((a, b) => a * b, 1);
      const t = tf.tensor(all.subarray(at, at + size), shape);
      at += size;
      return t;
    });
    if (at !== all.length) throw new Error('Autoencoder.fromJSON: weight data does not match the layer shapes');
    model.setWeights(tensors);
    tf.dispose(tensors);
    return new Autoencoder(model, s.hidden, Float64Array.from(s.center), Float64Array.from(s.scale), Float64Array.from(s.typicalError));
  }

  /**
   * Epochs of shuffled mini-batches with early stopping on a held-out tenth of `rows`; keeps the best weights.
   * The validation loss leaves out the worst `trim` share of held-out rows, so a few rows the model should not
   * learn do not decide when to stop.
   */
  private async train(
    Z: Float32Array,
    rows: Int32Array,
    o: { epochs: number; rand: () => number; trim: number; phase: Progress['phase']; onProgress?: (p: Progress) => void },
  ): Promise<void> {
    const held = rows.length >= 20 ? Math.min(Math.ceil(rows.length / 10), 8192) : 0;
    const fitRows = held ? rows.slice(held) : rows.slice();
    const val = held ? this.rowsOf(Z, rows.subarray(0, held)) : undefined;
    const batchSize = Math.max(32, Math.min(512, Math.floor(fitRows.length / 32)));
    const optimizer = tf.train.adam(LEARNING_RATE);
    let best = Infinity;
    let bestWeights: tf.Tensor[] | undefined;
    let stale = 0;
    for (let epoch = 1; epoch <= o.epochs && stale < PATIENCE; epoch++) {
      shuffle(fitRows, o.rand);
      const x = this.gather(Z, fitRows.subarray(0, ROWS_PER_EPOCH));
      const loss = this.epoch(x, batchSize, optimizer);
      x.dispose();
      const valLoss = val ? trimmedMean(this.errors(val, held), o.trim) : loss;
      o.onProgress?.({ phase: o.phase, epoch, epochs: o.epochs, loss, valLoss });
      if (valLoss < best * (1 - 1e-4)) {
        best = valLoss;
        stale = 0;
        tf.dispose(bestWeights);
        bestWeights = this.model.getWeights().map((w) => w.clone());
      } else {
        stale++;
      }
    }
    optimizer.dispose();
    if (bestWeights) {
      this.model.setWeights(bestWeights);
      tf.dispose(bestWeights);
    }
  }

  /** One pass over `x` in mini-batches (a plain loop: far less overhead per batch than model.fit); mean loss. */
  private epoch(x: tf.Tensor2D, batchSize: number, optimizer: tf.Optimizer): number {
    const n = x.shape[0];
    let sum = 0;
    for (let lo = 0; lo < n; lo += batchSize) {
      const size = Math.min(batchSize, n - lo);
      const cost = tf.tidy(() => {
        const batch = x.slice(lo, size);
        return optimizer.minimize(() => tf.losses.meanSquaredError(batch, this.model.apply(batch) as tf.Tensor) as tf.Scalar, true)!;
      });
      sum += cost.dataSync()[0] * size;
      cost.dispose();
    }
    return sum / n;
  }

  /** Rows of the standardised matrix as one tensor. */
  private gather(Z: Float32Array, rows: ArrayLike<number>): tf.Tensor2D {
    return tf.tensor2d(this.rowsOf(Z, rows), [rows.length, this.cols]);
  }

  private rowsOf(Z: Float32Array, rows: ArrayLike<number>): Float32Array {
    const cols = this.cols;
    const out = new Float32Array(rows.length * cols);
    for (let i = 0; i < rows.length; i++) out.set(Z.subarray(rows[i] * cols, rows[i] * cols + cols), i * cols);
    return out;
  }

  private errors(Z: Float32Array, n: number): Float64Array {
    const cols = this.cols;
    const out = new Float64Array(n);
    for (let lo = 0; lo < n; lo += SCORE_BATCH) {
      const hi = Math.min(n, lo + SCORE_BATCH);
      const err = tf.tidy(() => {
        const x = tf.tensor2d(Z.subarray(lo * cols, hi * cols), [hi - lo, cols]);
        return (this.model.apply(x) as tf.Tensor).sub(x).square().mean(1).dataSync();
      });
      out.set(err, lo);
    }
    return out;
  }

  private meanAbsoluteErrors(Z: Float32Array, rows: Int32Array): Float64Array {
    const sum = new Float64Array(this.cols);
    for (let lo = 0; lo < rows.length; lo += SCORE_BATCH) {
      const part = tf.tidy(() => {
        const x = this.gather(Z, rows.subarray(lo, lo + SCORE_BATCH));
        return (this.model.apply(x) as tf.Tensor).sub(x).abs().sum(0).dataSync();
      });
      part.forEach((v, f) => (sum[f] += v));
    }
    // Floor: a feature reconstructed perfectly in training would otherwise make any error infinitely unusual.
    const mean = sum.map((v) => v / rows.length);
    const floor = Math.max(1e-3, mean.reduce((a, b) => a + b, 0) / mean.length / 100);
    return mean.map((v) => Math.max(v, floor));
  }

  private standardise(X: Matrix): Float32Array {
    const out = new Float32Array(X.rows * X.cols);
    for (let i = 0; i < X.data.length; i++) {
      const f = i % X.cols;
      out[i] = (X.data[i] - this.center[f]) / this.scale[f];
    }
    return out;
  }

  private checkWidth(cols: number): void {
    if (cols !== this.cols) throw new Error(`Autoencoder: expected ${this.cols} features, got ${cols}`);
  }
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

function buildModel(cols: number, hidden: number[], seed: number): tf.Sequential {
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
