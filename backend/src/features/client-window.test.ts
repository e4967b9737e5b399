import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../detectors/random.js';
import { ClientWindows, WINDOW_MS, type WindowReading } from './client-window.js';

/** The window rule written plainly, one Map entry per client and nothing ever forgotten. */
class PlainWindows {
  private readonly clients = new Map<
    string,
    { bucket: number; requests: number; errors: number; prevRequests: number; prevErrors: number }
  >();

  add(client: string, ts: number, error: boolean): WindowReading {
    const bucket = Math.floor(ts / WINDOW_MS);
    let c = this.clients.get(client);
    if (!c) {
      c = { bucket, requests: 0, errors: 0, prevRequests: 0, prevErrors: 0 };
      this.clients.set(client, c);
    } else if (bucket > c.bucket) {
      const adjacent = bucket === c.bucket + 1;
      c.prevRequests = adjacent ? c.requests : 0;
      c.prevErrors = adjacent ? c.errors : 0;
      c.requests = c.errors = 0;
      c.bucket = bucket;
    }
    c.requests++;
    if (error) c.errors++;
    const overlap = 1 - (ts - bucket * WINDOW_MS) / WINDOW_MS;
    const requests = c.requests + c.prevRequests * overlap;
    return { requests, errorRatio: (c.errors + c.prevErrors * overlap) / requests };
  }
}

describe('client windows', () => {
  it('counts requests in the last minute and forgets older buckets', () => {
    const w = new ClientWindows();
    for (let i = 0; i < 60; i++) w.add('a', i * 1000, i % 2 === 0);
    expect(w.add('a', 60_000, false).requests).toBeCloseTo(61, 0);
    expect(w.reading.errorRatio).toBeCloseTo(30 / 61, 1);
    expect(w.add('a', 10 * 60_000, false).requests).toBe(1);
  });

  it('reads exactly as the plain rule for every kind of client, across growth and pruning', () => {
    const rand = mulberry32(7);
    const names = [
      ...Array.from({ length: 3000 }, (_, i) => `10.${i >> 8}.${i & 255}.${(i * 7) & 255}`),
      '255.255.255.255',
      '0.0.0.0',
      '010.0.0.1',
      '10.0.0.01',
      '1.2.3.256',
      '1.2.3',
      '1.2.3.4.5',
      '1..2.3',
      '1.2.3.4 ',
      '::1',
      '2001:db8::7',
      'gateway.internal',
      '',
      '-',
      'é.1.2.3',
    ];
    // Sliced from longer text, as the parser hands them over.
    const line = (name: string) => `${name} - - [...]`.slice(0, name.length);
    const fast = new ClientWindows();
    const plain = new PlainWindows();
    let ts = 0;
    for (let i = 0; i < 250_000; i++) {
      ts += rand() < 0.0005 ? 5 * WINDOW_MS : Math.floor(rand() * 40);
      // A few hot clients, a long tail, and now and then one of the odd names.
      const r = rand();
      const name = r < 0.01 ? names[3000 + Math.floor(rand() * 15)] : names[Math.floor(r * r * 3000)];
      const error = rand() < 0.05;
      const got = fast.add(line(name), ts, error);
      const want = plain.add(name, ts, error);
      if (got.requests !== want.requests || !Object.is(got.errorRatio, want.errorRatio)) {
        throw new Error(
          `add #${i} (${JSON.stringify(name)} at ${ts}): got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`,
        );
      }
    }
  });

  it('keeps addresses that read alike apart', () => {
    const w = new ClientWindows();
    w.add('10.0.0.1', 0, false);
    w.add('10.0.0.1', 1, false);
    expect(w.add('010.0.0.1', 2, false).requests).toBe(1);
    expect(w.add('167772161', 3, false).requests).toBe(1);
    expect(w.add('10.0.0.1', 4, false).requests).toBe(3);
  });
});
