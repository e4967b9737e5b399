import type { Matrix } from '../types.js';
import { BLOCK, DenseKernel } from './autoencoder-kernel.js';

export interface Progress {
  /** `train` first; `refit` after the rows the first model reconstructs worst were dropped. */
  phase: 'train' | 'refit';
  epoch: number;
  epochs: number;
  loss: number;
  valLoss: number;
}

/**
 * How long a fit trains: `full` (the default) up to 60 epochs of at most 16,384 rows in batches of 512 at a learning
 * rate of 0.003; `short` up to 12 epochs of at most 4,096 rows in batches of 256 at 0.02, a twentieth of the rows and
 * a tenth of the steps (see autoencoder-fit.ts for what each costs and keeps).
 */
export type Schedule = 'full' | 'short';

export interface AutoencoderOptions {
  seed: number;
  schedule?: Schedule;
  /** Most epochs per phase (the schedule's when unset); early stopping may end sooner. */
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

/**
 * Dense autoencoder on standardised features: input -> 32 -> 16 -> 8 -> 16 -> 32 -> input (narrower for few
 * features), tanh hidden layers and a linear output. The anomaly score is the mean squared reconstruction error in
 * standardised units. Fitting uses TensorFlow.js (`fitAutoencoder` in autoencoder-train.ts loads autoencoder-fit.ts on first use); scoring runs the saved
 * weights on a small WebAssembly kernel (autoencoder-kernel.ts), so a model loads synchronously in milliseconds
 * and a trained, saved or loaded autoencoder scores identically.
 */
export class Autoencoder {
  /** Training rows a fit needs at least. */
  static readonly MIN_ROWS = 2;

  private constructor(
    private readonly state: AutoencoderState,
    private readonly kernel: DenseKernel,
    private readonly center: Float64Array,
    private readonly scale: Float64Array,
    private readonly typicalError: Float64Array,
  ) {}

  get cols(): number {
    return this.center.length;
  }

  static fromJSON(s: AutoencoderState): Autoencoder {
    if (s?.kind !== 'autoencoder' || typeof s.weightData !== 'string') {
      throw new Error('Autoencoder.fromJSON: not an autoencoder state');
    }
    const widths = [s.cols, ...s.hidden, s.cols];
    if (JSON.stringify(s.weightShapes) !== JSON.stringify(weightShapes(widths))) {
      throw new Error('Autoencoder.fromJSON: the weight shapes do not match the layer widths');
    }
    const bytes = Buffer.from(s.weightData, 'base64');
    const weights = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    let kernel: DenseKernel;
    try {
      kernel = new DenseKernel(widths, weights);
    } catch (e) {
      throw new Error(`Autoencoder.fromJSON: ${(e as Error).message}`);
    }
    return new Autoencoder(
      s,
      kernel,
      Float64Array.from(s.center),
      Float64Array.from(s.scale),
      Float64Array.from(s.typicalError),
    );
  }

  toJSON(): AutoencoderState {
    return this.state;
  }

  /** Reconstruction error per row: mean squared error over the features, in standardised units. */
  scoreMatrix(X: Matrix): Float64Array {
    this.checkWidth(X.cols);
    const out = new Float64Array(X.rows);
    const { cols } = this;
    this.reconstruct(X, (row, input, output, at) => {
      let sum = 0;
      for (let f = 0; f < cols; f++) {
        const d = output[at + f] - input[at + f];
        sum += d * d;
      }
      out[row] = sum / cols;
    });
    return out;
  }

  /** Per feature: absolute reconstruction error over that feature's typical training error (1 = as usual). */
  featureErrors(row: ArrayLike<number>): Float64Array {
    this.checkWidth(row.length);
    const errors = this.absoluteErrors({ data: Float64Array.from(row), rows: 1, cols: row.length });
    return errors.map((e, f) => e / this.typicalError[f]);
  }

  /** Mean absolute reconstruction error of each feature over the rows of X, in standardised units. */
  meanAbsoluteErrors(X: Matrix): Float64Array {
    this.checkWidth(X.cols);
    return this.absoluteErrors(X).map((sum) => sum / X.rows);
  }

  private absoluteErrors(X: Matrix): Float64Array {
    const sums = new Float64Array(this.cols);
    this.reconstruct(X, (_, input, output, at) => {
      for (let f = 0; f < sums.length; f++) sums[f] += Math.abs(output[at + f] - input[at + f]);
    });
    return sums;
  }

  /** Standardises X block by block into the kernel, runs it, and visits each row's input and reconstruction. */
  private reconstruct(
    X: Matrix,
    visit: (row: number, input: Float32Array, output: Float32Array, at: number) => void,
  ): void {
    const { kernel, center, scale, cols } = this;
    const { input, output, stride } = kernel;
    for (let lo = 0; lo < X.rows; lo += BLOCK) {
      const n = Math.min(BLOCK, X.rows - lo);
      for (let r = 0; r < n; r++) {
        const from = (lo + r) * cols;
        for (let f = 0; f < cols; f++) input[r * stride + f] = (X.data[from + f] - center[f]) / scale[f];
      }
      kernel.run(n);
      for (let r = 0; r < n; r++) visit(lo + r, input, output, r * stride);
    }
  }

  private checkWidth(cols: number): void {
    if (cols !== this.cols) throw new Error(`Autoencoder: expected ${this.cols} features, got ${cols}`);
  }
}

/** Shapes of the weights of layers of these widths (input, hidden..., output), in their saved order: each layer's [in, out] kernel, then its bias. */
export function weightShapes(widths: readonly number[]): number[][] {
  return widths.slice(1).flatMap((out, l) => [[widths[l], out], [out]]);
}
