import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { train } from '../../pipeline/index.js';
import type { ScoredLine } from '../../types.js';
import { createApp } from '../app.js';
import { testContext, trainWebModel, webLines, type TestContext } from '../../../testkit/app.js';

let t: TestContext;
let app: Hono;

const ATTACK =
  '203.0.113.9 - - [01/Mar/2024:00:10:00 +0000] "GET /cgi-bin/../../../../etc/passwd HTTP/1.1" 500 0 "-" "sqlmap/1.7.2#stable (https://sqlmap.org)" rt=4.900';

beforeAll(async () => {
  t = await testContext({ web: await trainWebModel() }, { server: { limits: { batchLines: 50, lineBytes: 4096 } } });
  app = createApp(t.ctx);
});
afterAll(() => t.cleanup());

const post = (path: string, body: unknown, type = 'application/json') =>
  app.request(path, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': type },
  });

describe('POST /api/v1/analyze', () => {
  it('scores one line and rates an attack above ordinary traffic', async () => {
    const [normal] = webLines(1, 99);
    const a = await post('/api/v1/analyze', { line: normal, labels: { job: 'web' } });
    const b = await post('/api/v1/analyze', { line: ATTACK, labels: { job: 'web' } });
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    const ok = (await a.json()) as ScoredLine;
    const bad = (await b.json()) as ScoredLine;
    expect(ok).toMatchObject({ line: normal, labels: { job: 'web' } });
    expect(ok.detector).toMatch(/^web\/iforest@/);
    expect(bad.score).toBeGreaterThan(ok.score);
    expect(bad.anomaly).toBe(true);
    expect(bad.reasons.length).toBeGreaterThan(0);
  });

  it("accepts the seeds' field shape and rebuilds the line in the model's format", async () => {
    const res = await post('/api/v1/analyze', {
      timestamp: '2024-03-01T00:00:05Z',
      level: 'INFO',
      message: 'GET /login',
      ip: '198.51.100.7',
      status: 200,
      bytes: 512,
    });
    expect(res.status).toBe(200);
    const record = (await res.json()) as ScoredLine;
    expect(record.line).toBe('198.51.100.7 - - [01/Mar/2024:00:00:05 +0000] "GET /login HTTP/1.1" 200 512 "-" "-"');
    expect(record.template).toContain('/login');
  });

  it('answers mistakes with a 4xx naming the problem', async () => {
    const cases: [Response, number, RegExp][] = [
      [await post('/api/v1/analyze', { labels: { job: 'web' } }), 400, /invalid body/],
      [await post('/api/v1/analyze', { line: 42 }), 400, /line/],
      [await post('/api/v1/analyze', '{"line": "x"', 'application/json'), 400, /not valid JSON/],
      [await post('/api/v1/analyze', 'line=x', 'application/x-www-form-urlencoded'), 415, /application\/json/],
      [await post('/api/v1/analyze', { line: 'x', model: 'nope' }), 404, /no model named "nope"/],
      [await post('/api/v1/analyze', { line: 'x', detector: 'autoencoder' }), 400, /autoencoder/],
      [await post('/api/v1/analyze', { line: 'x'.repeat(5000) }), 413, /lineBytes/],
      [await post('/api/v1/analyze', { line: 'x', detector: 'forest' }), 400, /detector/],
    ];
    for (const [res, status, message] of cases) {
      expect(res.status).toBe(status);
      const body = (await res.json()) as { error: string };
      expect(body.error).toMatch(message);
    }
  });

  it('scores junk and bad UTF-8 without failing', async () => {
    for (const line of ['\u0000\u0001\u0002', '\ufffd\ufffd garbage \ud800', '', '   ']) {
      const res = await post('/api/v1/analyze', { line });
      expect(res.status).toBe(200);
      expect(((await res.json()) as ScoredLine).severity).toMatch(/normal|low|medium|high|critical/);
    }
  });
});

describe('a CSV model', () => {
  it('scores rows of a CSV model by name', async () => {
    const header = 'latency_ms,bytes,status';
    const rows = Array.from({ length: 400 }, (_, i) => `${20 + (i % 7)},${1000 + (i % 13) * 10},200`);
    const csv = await train([header, ...rows], { name: 'metrics', seed: 1, detector: 'iforest', format: 'csv' });
    const local = await testContext({ web: await trainWebModel('web', 500), metrics: csv });
    try {
      const csvApp = createApp(local.ctx);
      const ask = (line: string) =>
        csvApp.request('/api/v1/analyze', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ line, model: 'metrics' }),
        });
      const spike = (await (await ask('9000,1000,500')).json()) as ScoredLine;
      const usual = (await (await ask('22,1040,200')).json()) as ScoredLine;
      expect(spike.score).toBeGreaterThan(usual.score);
    } finally {
      await local.cleanup();
    }
  });
});

describe('POST /api/v1/analyze/batch', () => {
  it('scores every line in order with a summary', async () => {
    const lines = webLines(40, 5);
    const res = await post('/api/v1/analyze/batch', {
      lines: [...lines, { line: ATTACK, ts: 1709251800000 }],
      labels: { job: 'web' },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      records: ScoredLine[];
      summary: { lines: number; anomalies: number; bySeverity: Record<string, number> };
    };
    expect(body.records.map((r) => r.line)).toEqual([...lines, ATTACK]);
    expect(body.records[40].ts).toBe(1709251800000);
    expect(body.summary.lines).toBe(41);
    expect(Object.values(body.summary.bySeverity).reduce((a, b) => a + b)).toBe(41);
    expect(body.summary.anomalies).toBe(body.records.filter((r) => r.anomaly).length);
  });

  it('refuses a batch over the configured size and names a bad item', async () => {
    const big = await post('/api/v1/analyze/batch', { lines: webLines(51, 5) });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: string }).error).toMatch(/51 lines is over 50/);
    const bad = await post('/api/v1/analyze/batch', { lines: ['ok', 'ok', 'ok', 7] });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/lines\[3\]/);
  });
});
