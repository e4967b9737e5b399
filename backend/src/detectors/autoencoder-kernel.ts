import { readFileSync } from 'node:fs';

/** Rows per kernel run: a block's activations stay in the CPU cache. A multiple of 4. */
export const BLOCK = 256;

interface KernelExports {
  memory: WebAssembly.Memory;
  dense(
    input: number,
    inN: number,
    output: number,
    outN: number,
    w: number,
    b: number,
    rows: number,
    act: number,
  ): void;
}

interface Layer {
  input: number;
  inN: number;
  output: number;
  outN: number;
  w: number;
  b: number;
  act: number;
}

let compiled: WebAssembly.Module | undefined;

/**
 * A stack of dense layers (tanh, then a linear last layer) run by autoencoder-kernel.wasm: float32 WebAssembly
 * SIMD, four times faster than scalar JavaScript or tfjs (which pays for every op and tensor it makes). The module
 * compiles synchronously once per thread in a few milliseconds; each kernel then takes a fraction of one. Every
 * width is zero-padded to a multiple of 4 lanes; `stride` is the padded input width. Write up to BLOCK rows into
 * `input`, `run`, and read `output`.
 */
export class DenseKernel {
  readonly stride: number;
  readonly input: Float32Array;
  readonly output: Float32Array;
  private readonly layers: Layer[] = [];
  private readonly dense: KernelExports['dense'];

  /** `widths`: input, hidden..., output; `weights`: per layer its [in, out] kernel then its bias (tfjs order). */
  constructor(widths: readonly number[], weights: Float32Array) {
    compiled ??= new WebAssembly.Module(readFileSync(new URL('./autoencoder-kernel.wasm', import.meta.url)));
    const kernel = new WebAssembly.Instance(compiled).exports as unknown as KernelExports;
    const padded = widths.map((w) => Math.ceil(w / 4) * 4);
    let bytes = 0;
    const take = (floats: number) => {
      const at = bytes;
      bytes += 4 * floats;
      return at;
    };
    const inputAt = take(BLOCK * padded[0]);
    let previous = inputAt;
    for (let l = 0; l + 1 < widths.length; l++) {
      const [inN, outN] = [padded[l], padded[l + 1]];
      const layer = {
        input: previous,
        inN,
        w: take(inN * outN),
        b: take(outN),
        output: take(BLOCK * outN),
        outN,
        act: l + 2 < widths.length ? 1 : 0,
      };
      this.layers.push(layer);
      previous = layer.output;
    }
    kernel.memory.grow(Math.max(0, Math.ceil(bytes / 65536) - kernel.memory.buffer.byteLength / 65536));
    const memory = new Float32Array(kernel.memory.buffer);
    let at = 0;
    this.layers.forEach((layer, l) => {
      const [inN, outN] = [widths[l], widths[l + 1]];
      for (let k = 0; k < inN; k++)
        memory.set(weights.subarray(at + k * outN, at + (k + 1) * outN), layer.w / 4 + k * layer.outN);
      at += inN * outN;
      memory.set(weights.subarray(at, at + outN), layer.b / 4);
      at += outN;
    });
    if (at !== weights.length) throw new Error('weight data does not match the layer shapes');
    this.stride = padded[0];
    this.input = memory.subarray(inputAt / 4, inputAt / 4 + BLOCK * this.stride);
    const last = this.layers[this.layers.length - 1];
    this.output = memory.subarray(last.output / 4, last.output / 4 + BLOCK * last.outN);
    this.dense = kernel.dense;
  }

  /** Runs the first `rows` rows of `input` through every layer into `output`. */
  run(rows: number): void {
    const n = Math.ceil(rows / 4) * 4;
    for (const l of this.layers) this.dense(l.input, l.inN, l.output, l.outN, l.w, l.b, n, l.act);
  }
}
