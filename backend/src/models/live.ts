import type { Autoencoder, AutoencoderState } from '../detectors/autoencoder.js';
import type { Model } from './model.js';

/**
 * Live autoencoders by their state object. Bringing one to life is asynchronous (the tfjs backend loads first), so
 * it happens once, when a model is loaded or trained; scorers then start synchronously.
 */
const live = new WeakMap<AutoencoderState, Autoencoder>();

export function rememberAutoencoder(state: AutoencoderState, ae: Autoencoder): void {
  live.set(state, ae);
}

export function liveAutoencoder(state: AutoencoderState): Autoencoder | undefined {
  return live.get(state);
}

/**
 * Brings a model's autoencoders to life (loadModel and train do this; a model parsed by hand needs it once). tfjs is
 * imported only here, so a model without an autoencoder never loads it (about 1 s and 60 MB).
 */
export async function prepareModel(model: Model): Promise<Model> {
  for (const state of [model.members.autoencoder, model.sessions?.members.autoencoder]) {
    if (state && !live.has(state)) {
      const { Autoencoder } = await import('../detectors/autoencoder.js');
      live.set(state, await Autoencoder.fromJSON(state));
    }
  }
  return model;
}
