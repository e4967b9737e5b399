import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeLoki, type FakeLoki } from '@anomalog/backend/testkit';
import { lokiSink, toNanoString } from './loki.js';

let loki: FakeLoki | undefined;
afterEach(async () => {
  await loki?.close();
  loki = undefined;
});

const until = async (ok: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
};

describe('loki sink', () => {
  it('pushes batches in the JSON push format, one stream per log, labels and nanosecond strings intact', async () => {
    loki = await startFakeLoki();
    const warnings: string[] = [];
    const sink = lokiSink({
      url: loki.url,
      labels: { env: 'test' },
      batchLines: 10,
      flushMs: 50,
      warn: (m) => warnings.push(m),
    });
    const t0 = Date.UTC(2024, 2, 1);
    for (let i = 0; i < 25; i++) sink.write('access', `access ${i}`, t0 + i + 0.5);
    sink.write('app', '{"msg":"hello"}', t0);
    await sink.flush();

    expect(loki.pushes.length).toBeGreaterThanOrEqual(3);
    for (const push of loki.pushes) {
      for (const s of push.streams) {
        expect(['web', 'app']).toContain(s.stream.job);
        expect(s.stream.env).toBe('test');
        for (const [ts, line] of s.values) {
          expect(ts).toMatch(/^\d{19}$/);
          expect(typeof line).toBe('string');
        }
      }
      expect(push.streams.reduce((n, s) => n + s.values.length, 0)).toBeLessThanOrEqual(10);
    }
    const web = loki.pushes.flatMap((p) => p.streams.filter((s) => s.stream.job === 'web').flatMap((s) => s.values));
    expect(web.map(([, line]) => line)).toEqual(Array.from({ length: 25 }, (_, i) => `access ${i}`));
    expect(web[3][0]).toBe(`${t0 + 3}500000`);
    expect(loki.requests.every((r) => r.headers['content-type'] === 'application/json')).toBe(true);
    expect(sink.stats()).toEqual([{ name: `loki:${loki.url}`, written: 26, dropped: 0 }]);
    expect(warnings).toEqual([]);
  });

  it('retries with backoff while Loki is down and delivers everything once it is back', async () => {
    loki = await startFakeLoki();
    loki.setDown(true);
    const sink = lokiSink({
      url: loki.url,
      batchLines: 5,
      flushMs: 10,
      retryBaseMs: 10,
      retryMaxMs: 40,
      maxRetries: 100,
      warn: () => {},
    });
    for (let i = 0; i < 12; i++) sink.write('access', `line ${i}`, Date.now());
    await until(() => loki!.requests.length >= 4);
    expect(loki.pushes).toEqual([]);
    loki.setDown(false);
    await sink.flush();
    const lines = loki.pushes.flatMap((p) => p.streams.flatMap((s) => s.values.map(([, l]) => l)));
    expect(lines).toEqual(Array.from({ length: 12 }, (_, i) => `line ${i}`));
    expect(sink.stats()[0]).toMatchObject({ written: 12, dropped: 0 });
  });

  it('reports a rejected batch loudly and counts it as dropped, without retrying', async () => {
    let posts = 0;
    const server = createServer((req, res) => {
      posts++;
      req.resume();
      res.writeHead(400).end('entry too far behind');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const warnings: string[] = [];
    const sink = lokiSink({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      flushMs: 10,
      warn: (m) => warnings.push(m),
    });
    sink.write('access', 'old line', 0);
    await sink.flush();
    server.close();
    expect(posts).toBe(1);
    expect(sink.stats()[0]).toMatchObject({ written: 0, dropped: 1 });
    expect(warnings.join('\n')).toMatch(/rejected.*HTTP 400: entry too far behind/);
  });

  it('counts and reports lines it cannot queue when Loki does not keep up', async () => {
    const warnings: string[] = [];
    const sink = lokiSink({
      url: 'http://127.0.0.1:9',
      maxQueue: 5,
      batchLines: 1000,
      flushMs: 60_000,
      maxRetries: 0,
      warn: (m) => warnings.push(m),
    });
    for (let i = 0; i < 8; i++) sink.write('access', `line ${i}`, 0);
    expect(sink.stats()[0].dropped).toBe(3);
    expect(warnings[0]).toMatch(/queue full/);
    await sink.close();
    expect(sink.stats()[0]).toMatchObject({ written: 0, dropped: 8 });
    expect(warnings.join('\n')).toMatch(/gave up after 1 attempts/);
  });

  it('turns fractional milliseconds into exact nanosecond strings', () => {
    expect(toNanoString(1709251200000)).toBe('1709251200000000000');
    expect(toNanoString(1709251200017.5)).toBe('1709251200017500000');
  });
});
