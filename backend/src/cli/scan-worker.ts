import { parentPort } from 'node:worker_threads';
import type { Model } from '../models/index.js';
import type { SummaryState } from './output.js';
import { ScanPart, type PartOptions, type PartOutput } from './scan-part.js';

/** One part of a threaded scan (scan-threads.ts): the main thread sends the model, then every chunk, then `end`. */
export type ToWorker = { type: 'start'; model: Model; options: PartOptions } | { type: 'chunk'; bytes: Uint8Array } | { type: 'end' };
export type FromWorker =
  | { type: 'lines'; out: PartOutput }
  | { type: 'done'; out: PartOutput; summary: SummaryState; truncated: number };

const port = parentPort!;
const post = (m: FromWorker) => port.postMessage(m, [m.out.numbers.buffer, m.out.bytes.buffer, m.out.ends.buffer]);
let part: ScanPart | undefined;

port.on('message', (m: ToWorker) => {
  if (m.type === 'start') {
    part = new ScanPart(m.model, m.options);
  } else if (m.type === 'chunk') {
    post({ type: 'lines', out: part!.push(m.bytes) });
  } else {
    const out = part!.end();
    post({ type: 'done', out, summary: part!.summary, truncated: part!.truncated });
    port.close();
  }
});
