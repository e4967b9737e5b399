import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScoredLine } from '../types.js';
import { startServer, type RunningServer } from './server.js';
import { testContext, trainWebModel, webLines, type TestContext } from '../../testkit/app.js';

const TOKEN = 'loopback-token';
let t: TestContext;
let server: RunningServer;

beforeAll(async () => {
  t = await testContext(
    { web: await trainWebModel() },
    { server: { token: TOKEN, limits: { uploadBytes: 100_000, bodyBytes: 50_000 } } },
  );
  server = await startServer(t.ctx, { port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await server.close();
  await t.cleanup();
});

const auth = { authorization: `Bearer ${TOKEN}` };

describe('startServer over loopback HTTP', () => {
  it('serves health without a token and the API with one', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect((await fetch(`${server.url}/api/v1/models`)).status).toBe(401);
    const res = await fetch(`${server.url}/api/v1/analyze/batch`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ lines: webLines(20, 4), labels: { job: 'web' } }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { records: ScoredLine[] }).records).toHaveLength(20);
  });

  it('streams a gzip upload in, and refuses an oversized one with 413', async () => {
    const form = new FormData();
    form.append('file', new Blob([gzipSync(webLines(400, 8).join('\n'))]), 'access.log.gz');
    const res = await fetch(`${server.url}/api/v1/uploads`, { method: 'POST', headers: auth, body: form });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { summary: { lines: number } }).summary.lines).toBe(400);

    const big = new FormData();
    big.append('file', new Blob(['y'.repeat(300_000)]), 'big.log');
    const refused = await fetch(`${server.url}/api/v1/uploads`, { method: 'POST', headers: auth, body: big });
    expect(refused.status).toBe(413);
    expect(((await refused.json()) as { error: string }).error).toMatch(/uploadBytes/);
  });

  it('refuses a JSON body over the limit from its Content-Length with 413', async () => {
    const res = await fetch(`${server.url}/api/v1/analyze/batch`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ lines: webLines(300, 4) }),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toMatch(/bodyBytes/);
  });

  it('answers bad JSON and wrong content types with 400 and 415', async () => {
    const bad = await fetch(`${server.url}/api/v1/analyze`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{',
    });
    expect(bad.status).toBe(400);
    const wrong = await fetch(`${server.url}/api/v1/analyze`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(wrong.status).toBe(415);
  });

  it('closes cleanly with keep-alive connections open', async () => {
    const other = await startServer(t.ctx, { port: 0, host: '127.0.0.1' });
    expect((await fetch(`${other.url}/ready`)).status).toBe(200);
    await other.close();
    await expect(fetch(`${other.url}/ready`)).rejects.toThrow();
  });
});
