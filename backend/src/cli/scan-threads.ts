import { Worker } from 'node:worker_threads';
import type { Model } from '../models/index.js';
import { PIECE_BYTES } from '../parsing/lines.js';
import type { LogInput } from './input.js';
import { Summary } from '../pipeline/index.js';
import { LineDealer, ScanPart, type PartOptions, type PartOutput, type Partition } from './scan-part.js';
import type { FromWorker, ToWorker } from './scan-worker.js';
import { workerEntry } from '../workers.js';

/** Chunks dealt ahead of the slowest worker at most (each about 1 MB of input). */
const IN_FLIGHT = 4;

export interface ThreadedResult {
  summary: Summary;
  truncated: number;
}

/**
 * A scan on `count` threads: this one reads the input, deals its lines (scan-part.ts) and scores part 0; worker
 * threads score the other parts. Their `--json` lines come back here and go out in input order. Workers are spawned
 * first, so that they load while this thread trains.
 */
export class ScanThreads {
  private readonly workers: Worker[];
  private readonly acked: number[];
  private readonly merge: OrderedMerge;
  private readonly summary = new Summary();
  private finished = 0;
  private failure?: Error;
  private wake?: () => void;
  private dealer?: LineDealer;

  /** `count` parts in all: this thread and count - 1 workers. */
  constructor(readonly count: number) {
    this.workers = Array.from({ length: count - 1 }, (_, i) => this.spawn(i + 1));
    this.acked = new Array<number>(count).fill(0);
    this.merge = new OrderedMerge(count);
  }

  /** Input lines read so far, for progress. */
  get linesRead(): number {
    return this.dealer?.lines ?? 0;
  }

  async run(
    input: LogInput,
    model: Model,
    partition: Partition,
    options: PartOptions,
    write: (bytes: Uint8Array) => Promise<void>,
    onBytes: (bytes: number) => void,
  ): Promise<ThreadedResult> {
    for (const w of this.workers) this.post(w, { type: 'start', model, options });
    const dealer = (this.dealer = new LineDealer(this.count, partition));
    const local = new ScanPart(model, options);
    let sent = 0;
    for await (const chunk of input.chunks(onBytes)) {
      const shares = dealer.deal(chunk);
      this.workers.forEach((w, i) => {
        const { lines, numbers, starts, sightings } = shares[i + 1];
        this.post(w, { type: 'lines', texts: joinInPieces(lines), numbers, starts, sightings }, [numbers.buffer]);
      });
      sent++;
      this.merge.add(0, local.push(shares[0]));
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
    await write(this.merge.take());
    while (this.finished < this.workers.length) {
      await this.nextMessage();
      await write(this.merge.take());
    }
    // The last messages may have come in while a write waited for the output to drain.
    await write(this.merge.take());
    if (this.merge.held) throw new Error(`threaded scan: ${this.merge.held} scored line(s) were never written`);
    return { summary: this.summary, truncated: dealer.truncated };
  }

  close(): void {
    for (const w of this.workers) void w.terminate();
  }

  private spawn(part: number): Worker {
    const worker = new Worker(workerEntry(import.meta.url, 'scan-worker'), { eval: true });
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'lines') {
        this.acked[part]++;
        this.merge.add(part, m.out);
      } else if (m.type === 'done') {
        this.merge.add(part, m.out);
        this.summary.merge(m.summary);
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

  private post(worker: Worker, m: ToWorker, transfer: ArrayBuffer[] = []): void {
    worker.postMessage(m, transfer);
  }

  /** Waits for any worker's next message; throws if a worker failed. */
  private async nextMessage(): Promise<void> {
    if (!this.failure) await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = undefined;
    if (this.failure) throw this.failure;
  }
}

/** The lines joined by '\n' into strings of about PIECE_BYTES characters (a line longer than that is a piece alone). */
function joinInPieces(lines: readonly string[]): string[] {
  const pieces: string[] = [];
  for (let from = 0; from < lines.length;) {
    let to = from;
    for (let chars = 0; to < lines.length && (to === from || chars + lines[to].length < PIECE_BYTES); to++)
      chars += lines[to].length + 1;
    pieces.push(lines.slice(from, to).join('\n'));
    from = to;
  }
  return pieces;
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
