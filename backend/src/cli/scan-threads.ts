import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Model } from '../models/index.js';
import type { LogInput } from './input.js';
import { Summary } from './output.js';
import { ScanPart, type PartOptions, type PartOutput } from './scan-part.js';
import type { FromWorker, ToWorker } from './scan-worker.js';

/** Chunks sent ahead of the slowest worker at most (each about 1 MB). */
const IN_FLIGHT = 4;

export interface ThreadedResult {
  summary: Summary;
  truncated: number;
}

/**
 * A scan on `count` threads: this one scores part 0 of the lines and worker threads the other parts (scan-part.ts).
 * Every worker gets every chunk of the input and picks its own lines; their `--json` lines come back here and go
 * out in input order. Workers are spawned first, so that they load while this thread trains.
 */
export class ScanThreads {
  private readonly workers: Worker[];
  private readonly acked: number[];
  private readonly merge: OrderedMerge;
  private readonly summary = new Summary();
  private truncated = 0;
  private finished = 0;
  private failure?: Error;
  private wake?: () => void;
  private local?: ScanPart;

  /** `count` parts in all: this thread and count - 1 workers. */
  constructor(readonly count: number) {
    this.workers = Array.from({ length: count - 1 }, (_, i) => this.spawn(i + 1));
    this.acked = new Array<number>(count).fill(0);
    this.merge = new OrderedMerge(count);
  }

  /** Input lines read so far, for progress. */
  get linesRead(): number {
    return this.local?.linesRead ?? 0;
  }

  async run(
    input: LogInput,
    model: Model,
    options: Omit<PartOptions, 'part' | 'parts'>,
    write: (bytes: Uint8Array) => Promise<void>,
    onBytes: (bytes: number) => void,
  ): Promise<ThreadedResult> {
    const parts = this.count;
    this.workers.forEach((w, i) => this.post(w, { type: 'start', model, options: { ...options, part: i + 1, parts } }));
    const local = (this.local = new ScanPart(model, { ...options, part: 0, parts }));
    const ring = new SharedChunks(IN_FLIGHT);
    let sent = 0;
    for await (const chunk of input.chunks(onBytes)) {
      if (this.workers.length) {
        const bytes = ring.copy(sent, chunk);
        for (const w of this.workers) this.post(w, { type: 'chunk', bytes });
      }
      sent++;
      this.merge.add(0, local.push(chunk));
      this.acked[0] = sent;
      await write(this.merge.take());
      while (sent - Math.min(...this.acked) >= IN_FLIGHT) {
        await this.nextMessage();
        await write(this.merge.take());
      }
    }
    for (const w of this.workers) this.post(w, { type: 'end' });
    this.merge.add(0, local.end());
    this.summary.merge(local.summary);
    this.truncated += local.truncated;
    await write(this.merge.take());
    while (this.finished < this.workers.length) {
      await this.nextMessage();
      await write(this.merge.take());
    }
    if (this.merge.held) throw new Error(`threaded scan: ${this.merge.held} scored line(s) were never written`);
    return { summary: this.summary, truncated: this.truncated };
  }

  close(): void {
    for (const w of this.workers) void w.terminate();
  }

  private spawn(part: number): Worker {
    const worker = new Worker(bootstrap(), { eval: true });
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'lines') {
        this.acked[part]++;
        this.merge.add(part, m.out);
      } else if (m.type === 'done') {
        this.merge.add(part, m.out);
        this.summary.merge(m.summary);
        this.truncated += m.truncated;
        this.finished++;
      }
      this.wake?.();
    });
    worker.on('error', (e) => {
      this.failure ??= e;
      this.wake?.();
    });
    worker.on('exit', (code) => {
      if (code !== 0) this.failure ??= new Error(`scan worker ${part} exited with code ${code}`);
      this.wake?.();
    });
    return worker;
  }

  private post(worker: Worker, m: ToWorker): void {
    worker.postMessage(m);
  }

  /** Waits for any worker's next message; throws if a worker failed. */
  private async nextMessage(): Promise<void> {
    if (!this.failure) await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = undefined;
    if (this.failure) throw this.failure;
  }
}

/**
 * Shared memory for the chunks in flight: chunk k goes in slot k % slots, which held chunk k - slots, and `run` sends
 * no chunk while one that many back is unread (a worker is done with a chunk's bytes once it has its lines).
 */
class SharedChunks {
  private readonly buffers: Uint8Array[] = [];

  constructor(private readonly slots: number) {}

  copy(k: number, chunk: Uint8Array): Uint8Array {
    const slot = k % this.slots;
    let buffer = this.buffers[slot];
    if (!buffer || buffer.length < chunk.length) buffer = this.buffers[slot] = new Uint8Array(new SharedArrayBuffer(chunk.length + (chunk.length >> 2)));
    buffer.set(chunk);
    return buffer.subarray(0, chunk.length);
  }
}

/** Puts the parts' `--json` lines back in input order: each part's lines ascend, and every line is in one part. */
export class OrderedMerge {
  /** The next line number to write. */
  next = 1;
  private readonly queues: { out: PartOutput; at: number }[][];

  constructor(parts: number) {
    this.queues = Array.from({ length: parts }, () => []);
  }

  add(part: number, out: PartOutput): void {
    if (out.numbers.length) this.queues[part].push({ out, at: 0 });
  }

  /** Lines received but not yet taken. */
  get held(): number {
    return this.queues.reduce((n, q) => n + q.reduce((k, e) => k + e.out.numbers.length - e.at, 0), 0);
  }

  /** The bytes of every line that can go out now. */
  take(): Buffer {
    const runs: Uint8Array[] = [];
    for (let head = this.headHolding(this.next); head; head = this.headHolding(this.next)) {
      const { numbers, ends, bytes } = head.out;
      const from = head.at === 0 ? 0 : ends[head.at - 1];
      while (head.at < numbers.length && numbers[head.at] === this.next) {
        head.at++;
        this.next++;
      }
      runs.push(bytes.subarray(from, ends[head.at - 1]));
    }
    return Buffer.concat(runs);
  }

  /** The first unwritten output of the part whose next line is `lineNo`, dropping outputs written in full. */
  private headHolding(lineNo: number): { out: PartOutput; at: number } | undefined {
    for (const q of this.queues) {
      while (q.length && q[0].at === q[0].out.numbers.length) q.shift();
      if (q.length && q[0].out.numbers[q[0].at] === lineNo) return q[0];
    }
    return undefined;
  }
}

/**
 * The worker's entry, as eval'd source: it imports scan-worker next to this file, registering tsx first when the
 * CLI runs from TypeScript sources (a loader registered on the main thread does not reach workers on Node 20).
 */
function bootstrap(): string {
  const here = import.meta.url;
  const entry = JSON.stringify(new URL(`./scan-worker${extname(fileURLToPath(here))}`, here).href);
  if (!here.endsWith('.ts')) return `import(${entry});`;
  const require = createRequire(here);
  const api = (require('tsx/package.json') as { exports: Record<string, { import: { default: string } }> }).exports['./esm/api'].import.default;
  const tsx = JSON.stringify(pathToFileURL(join(dirname(require.resolve('tsx/package.json')), api)).href);
  return `import(${tsx}).then((tsx) => { tsx.register(); return import(${entry}); });`;
}
