import pc from 'picocolors';
import { STREAM_JOB, type LogSink, type LogStream, type SinkSpec } from './sink.js';

type LokiSpec = Extract<SinkSpec, { kind: 'loki' }>;
type Entry = [ns: string, line: string];

export interface LokiSinkOptions extends Omit<LokiSpec, 'kind'> {
  /** First retry delay; doubles on each attempt up to `retryMaxMs`. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Where loud errors go (stderr by default). */
  warn?: (message: string) => void;
}

/** Milliseconds (possibly fractional) to Loki's nanosecond string, without losing digits to floating point. */
export function toNanoString(ms: number): string {
  const whole = Math.floor(ms);
  return `${whole}${String(Math.round((ms - whole) * 1e6)).padStart(6, '0')}`;
}

/**
 * Pushes to Loki's JSON API in batches (by lines, bytes or time), one request at a time so order is kept.
 * Network errors, 429 and 5xx are retried with exponential backoff; other 4xx are reported loudly and
 * counted as dropped. The queue is bounded: when it is full, new lines are counted as dropped and reported.
 */
export function lokiSink(opts: LokiSinkOptions): LogSink {
  const batchLines = opts.batchLines ?? 1000;
  const batchBytes = opts.batchBytes ?? 1 << 20;
  const flushMs = opts.flushMs ?? 1000;
  const maxQueue = opts.maxQueue ?? 100_000;
  const maxRetries = opts.maxRetries ?? 8;
  const retryBaseMs = opts.retryBaseMs ?? 250;
  const retryMaxMs = opts.retryMaxMs ?? 30_000;
  const warn = opts.warn ?? ((m: string) => process.stderr.write(pc.red(`loki sink: ${m}`) + '\n'));
  const pushUrl = `${opts.url.replace(/\/+$/, '')}/loki/api/v1/push`;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.tenant) headers['x-scope-orgid'] = opts.tenant;

  const queue: { stream: LogStream; entry: Entry }[] = [];
  let queuedBytes = 0;
  let written = 0;
  let dropped = 0;
  let sending: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let lastFullWarning = 0;

  const drop = (n: number, why: string) => {
    dropped += n;
    warn(`${n} line(s) dropped: ${why} (${dropped} dropped in total)`);
  };

  const bodyFor = (batch: typeof queue) => {
    const byStream = new Map<LogStream, Entry[]>();
    for (const { stream, entry } of batch) {
      const list = byStream.get(stream) ?? byStream.set(stream, []).get(stream)!;
      list.push(entry);
    }
    return JSON.stringify({
      streams: [...byStream].map(([stream, values]) => ({
        stream: { ...opts.labels, job: STREAM_JOB[stream] },
        values,
      })),
    });
  };

  const post = async (batch: typeof queue): Promise<void> => {
    const body = bodyFor(batch);
    for (let attempt = 0; ; attempt++) {
      let problem: string;
      try {
        const res = await fetch(pushUrl, { method: 'POST', headers, body });
        if (res.ok) {
          await res.body?.cancel();
          written += batch.length;
          return;
        }
        const text = (await res.text()).slice(0, 200).trim();
        problem = `HTTP ${res.status}${text ? `: ${text}` : ''}`;
        if (res.status < 500 && res.status !== 429) return drop(batch.length, `Loki rejected the batch, ${problem}`);
      } catch (err) {
        problem = (err as Error).cause
          ? String((err as Error & { cause: Error }).cause.message ?? (err as Error).cause)
          : (err as Error).message;
      }
      if (attempt >= maxRetries)
        return drop(batch.length, `gave up after ${attempt + 1} attempts, last error ${problem}`);
      await new Promise((r) => setTimeout(r, Math.min(retryMaxMs, retryBaseMs * 2 ** attempt)));
    }
  };

  const pump = () => {
    if (sending || queue.length === 0) return;
    clearTimeout(timer);
    timer = undefined;
    let bytes = 0;
    let n = 0;
    while (n < queue.length && n < batchLines && bytes < batchBytes) bytes += queue[n++].entry[1].length;
    const batch = queue.splice(0, n);
    queuedBytes -= bytes;
    sending = post(batch).finally(() => {
      sending = undefined;
      if (queue.length >= batchLines || queuedBytes >= batchBytes) pump();
      else schedule();
    });
  };

  const schedule = () => {
    if (!timer && queue.length > 0) timer = setTimeout(pump, flushMs);
  };

  return {
    write(stream, line, ts) {
      if (queue.length >= maxQueue) {
        dropped++;
        if (Date.now() - lastFullWarning > 5000) {
          lastFullWarning = Date.now();
          warn(`queue full (${maxQueue} lines), Loki is not keeping up: dropping lines (${dropped} dropped in total)`);
        }
        return;
      }
      queue.push({ stream, entry: [toNanoString(ts), line] });
      queuedBytes += line.length;
      if (queue.length >= batchLines || queuedBytes >= batchBytes) pump();
      else schedule();
    },
    async flush() {
      while (sending || queue.length > 0) {
        pump();
        await sending;
      }
    },
    async close() {
      await this.flush();
      clearTimeout(timer);
    },
    stats: () => [{ name: `loki:${opts.url}`, written, dropped }],
  };
}
