import { parentPort } from 'node:worker_threads';
import type { Model } from '../models/index.js';
import type { SummaryState } from '../pipeline/index.js';
import { ScanPart, type PartOptions, type PartOutput, type Share } from './scan-part.js';

/** One part of a threaded scan (scan-threads.ts): the main thread sends the model, then the worker's lines, then `end`. */
export type ToWorker =
  | { type: 'start'; model: Model; options: PartOptions }
  /** The worker's share of a chunk: its lines joined by '\n' in a few pieces (a few strings cross faster than many). */
  | ({ type: 'lines'; texts: string[]; numbers: Int32Array<ArrayBuffer> } & Pick<Share, 'starts' | 'sightings'>)
  | { type: 'end' };
export type FromWorker = { type: 'lines'; out: PartOutput } | { type: 'done'; out: PartOutput; summary: SummaryState };

const port = parentPort!;
const post = (m: FromWorker) => port.postMessage(m, [m.out.numbers.buffer, m.out.bytes.buffer, m.out.ends.buffer]);
let part: ScanPart | undefined;

port.on('message', (m: ToWorker) => {
  if (m.type === 'start') {
    part = new ScanPart(m.model, m.options);
  } else if (m.type === 'lines') {
    const lines = m.texts.flatMap((text) => text.split('\n'));
    post({ type: 'lines', out: part!.push({ lines, numbers: m.numbers, starts: m.starts, sightings: m.sightings }) });
  } else {
    const out = part!.end();
    post({ type: 'done', out, summary: part!.summary });
    port.close();
  }
});
