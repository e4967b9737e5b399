import { Worker } from 'node:worker_threads';
import type { Matrix } from '../types.js';
import { workerEntry } from '../workers.js';
import { Autoencoder, type AutoencoderOptions, type AutoencoderState, type Progress } from './autoencoder.js';

/** Fits an autoencoder to X. TensorFlow.js (autoencoder-fit.ts) loads on the first fit, so scoring never loads it. */
export async function fitAutoencoder(X: Matrix, opts: AutoencoderOptions): Promise<Autoencoder> {
  const { fitWeights } = await import('./autoencoder-fit.js');
  return Autoencoder.fromJSON(await fitWeights(X, opts));
}

/** The TensorFlow.js backend that fitting uses: wasm, or cpu when wasm cannot load (this loads tfjs). */
export async function tfBackend(): Promise<string> {
  return (await import('./autoencoder-fit.js')).tfBackend();
}

export interface ToFitter {
  X: Matrix;
  opts: Omit<AutoencoderOptions, 'onProgress'>;
}

export type FromFitter =
  | { kind: 'progress'; progress: Progress }
  | { kind: 'done'; state: AutoencoderState }
  | { kind: 'failed'; error: string };

/**
 * `fitAutoencoder` on a thread of its own (autoencoder-worker.ts), with the same result. Started before the rows are
 * ready, it loads TensorFlow.js (about 0.2 s of CPU) while the caller still reads its input on the other core; a fit
 * then runs while the caller does other work. Fits run one at a time. Once the thread is gone (`close`, or it failed
 * or exited), fits run on the caller's thread instead, a pending one included: slower, never lost.
 */
export class AutoencoderThread {
  private readonly worker = new Worker(workerEntry(import.meta.url, 'autoencoder-worker'), { eval: true });
  private queue: Promise<unknown> = Promise.resolve();
  private pending?: { X: Matrix; opts: AutoencoderOptions; resolve: (ae: Promise<Autoencoder>) => void };
  private gone = false;

  constructor() {
    this.worker.on('message', (m: FromFitter) => {
      const pending = this.pending;
      if (!pending) return;
      if (m.kind === 'progress') return pending.opts.onProgress?.(m.progress);
      this.settle();
      pending.resolve(
        m.kind === 'failed' ? Promise.reject(new Error(m.error)) : Promise.resolve(Autoencoder.fromJSON(m.state)),
      );
    });
    this.worker.on('error', () => this.close());
    this.worker.on('exit', () => this.close());
    // The caller closes the thread; until then, it keeps the process alive only while a fit runs.
    this.worker.unref();
  }

  fit(X: Matrix, opts: AutoencoderOptions): Promise<Autoencoder> {
    const fitted = this.queue.then(
      () =>
        new Promise<Autoencoder>((resolve) => {
          if (this.gone) return resolve(fitAutoencoder(X, opts));
          this.pending = { X, opts, resolve };
          this.worker.ref();
          const { onProgress: _, ...plain } = opts;
          this.worker.postMessage({ X, opts: plain } satisfies ToFitter);
        }),
    );
    this.queue = fitted.catch(() => undefined);
    return fitted;
  }

  close(): void {
    if (this.gone) return;
    this.gone = true;
    void this.worker.terminate();
    const pending = this.pending;
    this.settle();
    pending?.resolve(fitAutoencoder(pending.X, pending.opts));
  }

  private settle(): void {
    this.pending = undefined;
    this.worker.unref();
  }
}
