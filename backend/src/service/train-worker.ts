/**
 * The training thread: trains and validates a model off the service's event loop, so requests keep being answered
 * while a job runs. Started by a TrainingThread (training.ts), one job after another; talks to it with TrainerIn / TrainerOut messages.
 */
import { parentPort } from 'node:worker_threads';
import { serializeModel } from '../models/index.js';
import { train } from '../pipeline/index.js';
import { validateModel, type TrainerIn, type TrainerOut } from './training.js';

const port = parentPort!;
port.on('message', async (m: TrainerIn) => {
  const post = (out: TrainerOut) => port.postMessage(out);
  try {
    const split = (text: string) => (text === '' ? [] : text.split('\u0000'));
    const model = await train(split(m.lines), {
      ...m.opts,
      onProgress: (progress) => post({ kind: 'progress', progress }),
    });
    const validation = m.req && validateModel(model, split(m.heldOut), m.req);
    post({ kind: 'done', model: serializeModel(model), validation });
  } catch (err) {
    post({ kind: 'failed', error: (err as Error).message });
  }
});
