/** A query's deadline and its cancellation when the client goes away, over real loopback HTTP. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../server.js';
import { testContext, trafficLines, trainWebModel, type TestContext } from '../../../testkit/app.js';
import type { Model } from '../../models/index.js';
import { Deadline, QueryStopped } from './deadline.js';

const T0 = Date.UTC(2026, 0, 1);
const NS = (ms: number) => `${BigInt(ms) * 1_000_000n}`;

describe('Deadline', () => {
  it('stops a query whose client went away (499) or whose time ran out (504)', async () => {
    const gone = new AbortController();
    const deadline = new Deadline(60_000, gone.signal);
    expect(() => deadline.check()).not.toThrow();
    gone.abort();
    expect(() => deadline.check()).toThrow(new QueryStopped('query cancelled: the client closed the connection', 499));
    const late = new Deadline(1);
    await new Promise((r) => setTimeout(r, 5));
    expect(() => late.check()).toThrow(/timed out after 1 ms/);
  });
});

describe('queries over HTTP', () => {
  let model: Model;
  const contexts: TestContext[] = [];
  const servers: RunningServer[] = [];

  /** A server over a web log of `lines` lines, with the given query timeout. */
  async function serve(lines: number, queryTimeoutMs: number) {
    const tc = await testContext({ web: model }, { server: { limits: { queryTimeoutMs } } });
    mkdirSync(join(tc.dir, 'logs'));
    const text = trafficLines({ lines, seed: 5, start: T0 }).join('\n');
    writeFileSync(join(tc.dir, 'logs', 'access.log'), `${text}\n`);
    const server = await startServer(tc.ctx, { port: 0, host: '127.0.0.1' });
    contexts.push(tc);
    servers.push(server);
    return server;
  }
  const rangeUrl = (server: RunningServer, query: string, step: string) =>
    `${server.url}/loki/api/v1/query_range?${new URLSearchParams({ query, start: NS(T0), end: NS(T0 + 3_600_000), step })}`;

  beforeAll(async () => {
    model = await trainWebModel();
  }, 120_000);
  afterAll(async () => {
    for (const s of servers) await s.close();
    for (const t of contexts) await t.cleanup();
  });

  it('answers a query past server.limits.queryTimeoutMs with Loki-style 504, and keeps serving', async () => {
    const server = await serve(2_000, 1);
    const res = await fetch(rangeUrl(server, 'sum(count_over_time({job="web"}[1m]))', '1'));
    expect(res.status).toBe(504);
    const body = (await res.json()) as { status: string; errorType: string; message: string };
    expect(body).toMatchObject({ status: 'error', errorType: 'timeout' });
    expect(body.message).toMatch(/timed out after 1 ms \(server\.limits\.queryTimeoutMs\)/);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/anomalog_queries_stopped_total\{reason="timeout"\} [1-9]/);
  }, 120_000);

  it('stops the work of a query whose client closed the connection', async () => {
    const server = await serve(60_000, 60_000);
    const client = new AbortController();
    const pending = fetch(rangeUrl(server, 'sum(count_over_time({job="web"}[1m]))', '1'), { signal: client.signal });
    await new Promise((r) => setTimeout(r, 100));
    client.abort();
    await expect(pending).rejects.toThrow();
    let stopped = '';
    for (let i = 0; i < 100 && !stopped; i++) {
      await new Promise((r) => setTimeout(r, 200));
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      stopped = /anomalog_queries_stopped_total\{reason="cancelled"\} ([1-9])/.exec(metrics)?.[1] ?? '';
    }
    expect(stopped).toBe('1');
  }, 120_000);
});
