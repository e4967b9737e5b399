import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Model } from '../models/index.js';
import { createApp } from './app.js';
import { testContext, trainWebModel, webLines, type TestContext } from '../../testkit/app.js';

const TOKEN = 'tok-123';
let model: Model;
let t: TestContext;

beforeAll(async () => {
  model = await trainWebModel();
  t = await testContext(
    { web: model },
    { server: { token: TOKEN, cors: ['http://localhost:3000'], limits: { bodyBytes: 4096 } } },
  );
});
afterAll(() => t.cleanup());

const auth = { authorization: `Bearer ${TOKEN}` };

describe('auth', () => {
  it('needs the bearer token everywhere but /health and /ready', async () => {
    const app = createApp(t.ctx);
    for (const path of ['/api/v1/models', '/metrics', '/api/v1/stats', '/loki/api/v1/labels']) {
      const res = await app.request(path);
      expect(res.status, path).toBe(401);
      expect(await res.json()).toEqual({ error: 'missing or wrong bearer token' });
      expect((await app.request(path, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      expect((await app.request(path, { headers: auth })).status, path).toBe(200);
    }
    expect((await app.request('/health')).status).toBe(200);
    expect((await app.request('/ready')).status).toBe(200);
  });

  it('serves the standalone page without a token, and nothing else', async () => {
    const dir = join(t.dir, 'page');
    mkdirSync(dir);
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Anomalog</title>');
    const app = createApp(t.ctx, { staticDir: dir });
    const page = await app.request('/');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Anomalog</title>');
    expect((await app.request('/api/v1/models')).status).toBe(401);
    expect((await app.request('/nothing.js')).status).toBe(401);
  });

  it('never writes the token to the request log', async () => {
    let logged = '';
    const log = pino(
      { level: 'debug' },
      new Writable({ write: (chunk, _enc, done) => ((logged += String(chunk)), done()) }),
    );
    const app = createApp({ ...t.ctx, log });
    await app.request('/api/v1/models', { headers: auth });
    await app.request('/api/v1/models', { headers: { authorization: 'Bearer leaked-guess' } });
    expect(logged).toMatch(/"path":"\/api\/v1\/models"/);
    expect(logged).not.toContain(TOKEN);
    expect(logged).not.toContain('leaked-guess');
  });
});

describe('health, readiness, CORS, metrics', () => {
  it('reports models loaded and sources reachable', async () => {
    const body = (await (await createApp(t.ctx).request('/health')).json()) as {
      status: string;
      models: { loaded: string[]; defaultLoaded: boolean };
      sources: { reachable: boolean };
    };
    expect(body).toMatchObject({
      status: 'ok',
      models: { loaded: ['web'], defaultLoaded: true },
      sources: { reachable: true },
    });
  });

  it('is not ready without the default model', async () => {
    const empty = await testContext({});
    try {
      const res = await createApp(empty.ctx).request('/ready');
      expect(res.status).toBe(503);
      expect(await res.text()).toMatch(/default model "web" is not loaded/);
    } finally {
      await empty.cleanup();
    }
  });

  it('answers CORS preflights for the allowed origin without a token', async () => {
    const res = await createApp(t.ctx).request('/api/v1/analyze', {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:3000',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(res.headers.get('access-control-allow-headers')).toMatch(/Authorization/i);
  });

  it('exposes every metric name in Prometheus text format, counting scored lines', async () => {
    const app = createApp(t.ctx);
    await app.request('/api/v1/analyze/batch', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ lines: webLines(5, 1), labels: { job: 'web' } }),
    });
    const res = await app.request('/metrics', { headers: auth });
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    for (const name of [
      'anomalog_lines_scored_total',
      'anomalog_score_seconds',
      'anomalog_source_errors_total',
      'anomalog_watcher_lag_seconds',
      'anomalog_alerts_received_total',
      'anomalog_http_requests_total',
    ]) {
      expect(text).toContain(`# TYPE ${name}`);
    }
    const scored = [
      ...text.matchAll(
        /anomalog_lines_scored_total\{stream="\{job=\\"web\\"\}",detector="iforest",severity="\w+"\} (\d+)/g,
      ),
    ];
    expect(scored.reduce((sum, m) => sum + Number(m[1]), 0)).toBe(5);
    expect(text).toMatch(
      /anomalog_http_requests_total\{method="POST",route="\/api\/v1\/analyze\/batch",status="200"\} 1/,
    );
  });
});

describe('errors and limits', () => {
  it('refuses a body over the limit with 413', async () => {
    const res = await createApp(t.ctx).request('/api/v1/analyze/batch', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ lines: webLines(40, 2) }),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toMatch(/bodyBytes/);
  });

  it('answers unknown routes with a JSON 404 and hides internal errors', async () => {
    const lines: string[] = [];
    const log = pino(
      { level: 'error' },
      new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }),
    );
    const app = createApp({ ...t.ctx, log });
    app.get('/api/v1/explode', () => {
      throw new Error('disk on fire at /secret/path');
    });
    const missing = await app.request('/api/v1/nothing', { headers: auth });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'no route for GET /api/v1/nothing' });

    const res = await app.request('/api/v1/explode', { headers: auth });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: 'internal error' });
    expect(text).not.toMatch(/secret|at .*\.ts/);
    expect(lines.join('')).toContain('disk on fire');
  });

  it('skips a corrupt model file and serves the others', async () => {
    const other = await testContext({ web: model });
    try {
      writeFileSync(join(other.ctx.config.models.dir, 'broken.json'), '{ nope');
      await other.ctx.models.loadAll();
      expect(other.ctx.models.names()).toEqual(['web']);
    } finally {
      await other.cleanup();
    }
  });
});
