/**
 * The autoencoder's thread: loads TensorFlow.js as soon as it starts and warms it up until a fit comes (warmUp), then
 * fits the matrices it is sent, one at a time. Started by AutoencoderThread (autoencoder-train.ts); talks to it with ToFitter / FromFitter messages.
 */
import { parentPort } from 'node:worker_threads';
import { fitWeights, warmUp } from './autoencoder-fit.js';
import type { FromFitter, ToFitter } from './autoencoder-train.js';

const port = parentPort!;
let asked = false;
// A failed warm-up costs only its time: the fit loads TensorFlow.js itself.
const ready = warmUp(() => asked).catch(() => undefined);
port.on('message', async ({ X, opts }: ToFitter) => {
  asked = true;
  const post = (m: FromFitter) => port.postMessage(m);
  try {
    await ready;
    post({
      kind: 'done',
      state: await fitWeights(X, { ...opts, onProgress: (progress) => post({ kind: 'progress', progress }) }),
    });
  } catch (e) {
    post({ kind: 'failed', error: (e as Error).message });
  }
});
