import { detached } from '../parsing/text.js';

/**
 * Per-client request rate and error ratio over a sliding window, approximated with two fixed buckets (the current
 * one and the previous one, weighted by how much of it still overlaps the window): O(1) time and memory per client.
 */
export const WINDOW_MS = 60_000;

interface Counts {
  bucket: number;
  requests: number;
  errors: number;
  prevRequests: number;
  prevErrors: number;
}

export interface WindowReading {
  /** Requests in the last window, this one included. */
  requests: number;
  /** Share of those that were errors (HTTP >= 400). */
  errorRatio: number;
}

const PRUNE_EVERY = 100_000;

export class ClientWindows {
  private readonly clients = new Map<string, Counts>();
  private seen = 0;
  readonly reading: WindowReading = { requests: 0, errorRatio: 0 };

  /** Counts one request at `ts` (ms) and returns the client's window (the same object each call). */
  add(client: string, ts: number, error: boolean): WindowReading {
    const bucket = Math.floor(ts / WINDOW_MS);
    let c = this.clients.get(client);
    if (!c) {
      c = { bucket, requests: 0, errors: 0, prevRequests: 0, prevErrors: 0 };
      this.clients.set(detached(client), c);
    } else if (bucket > c.bucket) {
      const adjacent = bucket === c.bucket + 1;
      c.prevRequests = adjacent ? c.requests : 0;
      c.prevErrors = adjacent ? c.errors : 0;
      c.requests = 0;
      c.errors = 0;
      c.bucket = bucket;
    }
    c.requests++;
    if (error) c.errors++;
    const overlap = 1 - (ts - bucket * WINDOW_MS) / WINDOW_MS;
    const requests = c.requests + c.prevRequests * overlap;
    this.reading.requests = requests;
    this.reading.errorRatio = (c.errors + c.prevErrors * overlap) / requests;
    if (++this.seen % PRUNE_EVERY === 0) this.prune(bucket);
    return this.reading;
  }

  /** Forgets clients idle for two windows, so memory follows the active clients, not every client ever seen. */
  private prune(bucket: number): void {
    for (const [client, c] of this.clients) if (c.bucket < bucket - 1) this.clients.delete(client);
  }
}
