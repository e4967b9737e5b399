import type { Matrix } from '../types.js';
import { Autoencoder, type AutoencoderOptions } from './autoencoder.js';

/** Fits an autoencoder to X. TensorFlow.js (autoencoder-fit.ts) loads on the first fit, so scoring never loads it. */
export async function fitAutoencoder(X: Matrix, opts: AutoencoderOptions): Promise<Autoencoder> {
  const { fitWeights } = await import('./autoencoder-fit.js');
  return Autoencoder.fromJSON(await fitWeights(X, opts));
}

/** The TensorFlow.js backend that fitting uses: wasm, or cpu when wasm cannot load (this loads tfjs). */
export async function tfBackend(): Promise<string> {
  return (await import('./autoencoder-fit.js')).tfBackend();
}
