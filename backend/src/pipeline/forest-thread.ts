import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { sumPathLengths, type IsolationForest } from '../detectors/isolation-forest.js';
import type { Matrix } from '../types.js';

/** Rows handed to the worker at most, per batch. */
const CAPACITY = 8192;
/** Batches smaller than this are not worth a hand-off. */
const MIN_ROWS = 256;
/** A stuck worker is given up after this long; its rows are then scored here. */
const WAIT_MS = 10_000;

// Slots of the shared control array.
const STATE = 0;
const ROWS = 1;
const IDLE = 0;
const WORK = 1;
const DONE = 2;

/**
 * The worker runs sumPathLengths from its own source text, so it needs no module loader (the CLI runs on tsx). It
 * blocks on the control word between batches (Atomics.waitAsync can miss a wake-up on Node 20).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const sumPathLengths = ${sumPathLengths.toString()};
const { forest, cols, ctrl, data, out, millis } = workerData;
parentPort.postMessage('ready');
for (;;) {
  const state = Atomics.load(ctrl, ${STATE});
  if (state !== ${WORK}) {
    Atomics.wait(ctrl, ${STATE}, state, 250);
    continue;
  }
  const rows = ctrl[${ROWS}];
  const started = performance.now();
  out.fill(0, 0, rows);
  sumPathLengths(forest, data, rows, cols, out);
  millis[0] = performance.now() - started;
  Atomics.store(ctrl, ${STATE}, ${DONE});
  Atomics.notify(ctrl, ${STATE});
}
`;

interface Shared {
  ctrl: Int32Array;
  data: Float64Array;
  out: Float64Array;
  millis: Float64Array;
}

/**
 * An Isolation Forest that scores each batch on two threads: this one takes the first rows, a worker the rest, and
 * the split follows the two threads' measured speeds. Scores are the same bits as IsolationForest.scoreMatrix (each
 * row's trees are summed in the same order). The worker starts once `startAfter` rows have been scored, so short
 * inputs never pay for it; it never keeps the process alive, and if it fails, scoring carries on here alone.
 */
export class ThreadedForest {
  private worker?: Worker;
  private shared?: Shared;
  private ready = false;
  private failed = availableParallelism() < 2;
  private seen = 0;
  /** Share of each batch the worker takes. */
  private share = 0.5;

  constructor(
    readonly forest: IsolationForest,
    private readonly startAfter = 32_768,
  ) {}

  /** Resolves once the worker takes rows (false: it will not; scoring stays on this thread). */
  whenReady(): Promise<boolean> {
    this.start();
    if (this.ready || !this.worker) return Promise.resolve(this.ready);
    const worker = this.worker;
    return new Promise((resolve) => {
      worker.once('message', () => resolve(true));
      worker.once('error', () => resolve(false));
    });
  }

  scoreMatrix(X: Matrix): Float64Array {
    const s = this.shared;
    if (!s || !this.ready || X.rows < MIN_ROWS || X.cols !== this.forest.cols) {
      this.seen += X.rows;
      if (this.seen >= this.startAfter) this.start();
      return this.forest.scoreMatrix(X);
    }
    const { rows, cols, data } = X;
    const theirs = Math.min(CAPACITY, Math.round(rows * this.share));
    const mine = rows - theirs;
    s.data.set(data.subarray(mine * cols, rows * cols));
    s.ctrl[ROWS] = theirs;
    Atomics.store(s.ctrl, STATE, WORK);
    Atomics.notify(s.ctrl, STATE);
    const total = new Float64Array(rows);
    const started = performance.now();
    sumPathLengths(this.forest.arrays(), data, mine, cols, total);
    const myMillis = performance.now() - started;
    if (Atomics.wait(s.ctrl, STATE, WORK, WAIT_MS) === 'timed-out') {
      this.stop();
      sumPathLengths(this.forest.arrays(), data.subarray(mine * cols), theirs, cols, total.subarray(mine));
      return this.forest.scoresOf(total);
    }
    total.set(s.out.subarray(0, theirs), mine);
    Atomics.store(s.ctrl, STATE, IDLE);
    this.adapt(mine / Math.max(myMillis, 1e-3), theirs / Math.max(s.millis[0], 1e-3));
    return this.forest.scoresOf(total);
  }

  /** Moves the split toward equal finishing times, within 10%..90%. */
  private adapt(myRate: number, theirRate: number): void {
    const target = theirRate / (myRate + theirRate);
    this.share = Math.min(0.9, Math.max(0.1, (this.share + target) / 2));
  }

  private start(): void {
    if (this.worker || this.failed) return;
    const shared: Shared = {
      ctrl: new Int32Array(new SharedArrayBuffer(8)),
      data: new Float64Array(new SharedArrayBuffer(CAPACITY * this.forest.cols * 8)),
      out: new Float64Array(new SharedArrayBuffer(CAPACITY * 8)),
      millis: new Float64Array(new SharedArrayBuffer(8)),
    };
    const workerData = { forest: this.forest.arrays(), cols: this.forest.cols, ...shared };
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData });
    worker.unref();
    worker.once('message', () => (this.ready = true));
    worker.once('error', () => this.stop());
    this.worker = worker;
    this.shared = shared;
  }

  private stop(): void {
    this.failed = true;
    this.ready = false;
    this.shared = undefined;
    void this.worker?.terminate();
    this.worker = undefined;
  }
}
