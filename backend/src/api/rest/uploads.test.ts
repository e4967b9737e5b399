import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Model } from '../../models/index.js';
import type { ScoredLine } from '../../types.js';
import { createApp } from '../app.js';
import { JobQueue } from './jobs.js';
import { UploadStore } from './upload-store.js';
import { uploadRoutes } from './uploads.js';
import { testContext, trainWebModel, webLines, type TestContext } from '../../../testkit/app.js';

interface UploadReply {
  id: string;
  truncatedLines: number;
  summary: { lines: number; anomalies: number; bySeverity: Record<string, number>; top: ScoredLine[] };
}
interface Page {
  total: number;
  records: ScoredLine[];
}

const UPLOAD_LIMIT = 200_000;
let model: Model;
let t: TestContext;
let app: Hono;

beforeAll(async () => {
  model = await trainWebModel();
  t = await testContext({ web: model }, { server: { limits: { uploadBytes: UPLOAD_LIMIT, lineBytes: 2048 } } });
  app = createApp(t.ctx);
});
afterAll(() => t.cleanup());

function upload(target: Hono, file: Blob | Buffer | string, name: string, fields: Record<string, string> = {}) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append(
    'file',
    file instanceof Blob ? file : new Blob([typeof file === 'string' ? file : new Uint8Array(file)]),
    name,
  );
  return target.request('/api/v1/uploads', { method: 'POST', body: form });
}

const errorOf = async (res: Response) => ((await res.json()) as { error: string }).error;

describe('POST /api/v1/uploads', () => {
  it('a background upload the job queue refuses (429) leaves nothing on disk', async () => {
    const dir = join(t.dir, 'refused-uploads');
    const routes = uploadRoutes(t.ctx, { uploads: new UploadStore(dir, 60_000), jobs: new JobQueue(t.ctx.log, 0) });
    const form = new FormData();
    form.append('file', new Blob([`${webLines(50, 3).join('\n')}\n`]), 'access.log');
    const res = await routes.request('/uploads?wait=false&model=web', { method: 'POST', body: form });
    expect(res.status).toBe(429);
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
  });

  it('refuses corrupt gzip with a 422 when the store is slow to open, and nothing escapes uncaught', async () => {
    class SlowStore extends UploadStore {
      override async create() {
        await new Promise((resolve) => setTimeout(resolve, 300));
        return super.create();
      }
    }
    const uncaught: unknown[] = [];
    const catchIt = (e: unknown) => uncaught.push(e);
    process.on('uncaughtException', catchIt);
    try {
      const dir = join(t.dir, 'slow-uploads');
      const routes = uploadRoutes(t.ctx, { uploads: new SlowStore(dir, 60_000), jobs: new JobQueue(t.ctx.log, 1) });
      const form = new FormData();
      form.append('file', new Blob(['not gzip at all\n']), 'x.log.gz');
      const res = await routes.request('/uploads?model=web', { method: 'POST', body: form });
      expect(res.status).toBe(422);
      expect(await res.text()).toMatch(/not valid gzip/);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', catchIt);
    }
  });

  it('scores a log file as it streams and pages through the records', async () => {
    const lines = webLines(600, 11, 0.05);
    const res = await upload(app, `${lines.join('\n')}\n`, 'access.log', { model: 'web', labels: '{"job":"web"}' });
    expect(res.status).toBe(201);
    const body = (await res.json()) as UploadReply;
    expect(body.summary.lines).toBe(600);
    expect(Object.values(body.summary.bySeverity).reduce((a, b) => a + b)).toBe(600);
    const scores = body.summary.top.map((r) => r.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(body.summary.top.every((r) => r.anomaly)).toBe(true);

    const page = (await (await app.request(`/api/v1/uploads/${body.id}/records?offset=100&limit=50`)).json()) as Page;
    expect(page.total).toBe(600);
    expect(page.records.map((r) => r.line)).toEqual(lines.slice(100, 150));

    const anomalies = (await (
      await app.request(`/api/v1/uploads/${body.id}/records?severity=anomaly&limit=1000`)
    ).json()) as Page;
    expect(anomalies.total).toBe(body.summary.anomalies);
    expect(anomalies.records).toHaveLength(body.summary.anomalies);
    expect(anomalies.records.every((r) => r.anomaly)).toBe(true);
  });

  it('reads gzip the same way, and cuts over-long lines', async () => {
    const lines = webLines(300, 12);
    const gz = await upload(app, gzipSync(lines.join('\n')), 'access.log.gz');
    expect(gz.status).toBe(201);
    expect(((await gz.json()) as UploadReply).summary.lines).toBe(300);

    const long = await upload(app, `${lines[0]}\n${'A'.repeat(10_000)}\n${lines[1]}\r\n`, 'mixed.txt');
    expect(long.status).toBe(201);
    const body = (await long.json()) as UploadReply;
    expect(body.summary.lines).toBe(3);
    expect(body.truncatedLines).toBe(1);
  });

  it('scores lines with bad UTF-8 instead of failing', async () => {
    const bytes = Buffer.concat([Buffer.from(`${webLines(1, 3)[0]}\n`), Buffer.from([0xc3, 0x28, 0x20, 0xff, 0x0a])]);
    const res = await upload(app, bytes, 'bad-utf8.log');
    expect(res.status).toBe(201);
    expect(((await res.json()) as UploadReply).summary.lines).toBe(2);
  });

  it("reads a Windows export in UTF-16 as its lines, as a UTF-8 file's", async () => {
    const text = `${webLines(40, 5).join('\r\n')}\r\n`;
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const [a, b] = await Promise.all(
      [utf16, Buffer.from(text)].map(async (bytes, i) => {
        const res = await upload(app, bytes, `export-${i}.log`, { model: 'web' });
        expect(res.status).toBe(201);
        return ((await res.json()) as UploadReply).summary;
      }),
    );
    expect(a.lines).toBe(40);
    expect(a.top.map((l) => [l.line, l.score])).toEqual(b.top.map((l) => [l.line, l.score]));
  });

  it('refuses, with a clear 4xx and nothing kept, what it cannot take', async () => {
    const before = readdirSync(t.ctx.config.uploads.dir).length;
    const junk = Buffer.from(new Uint8Array(8192).map((_, i) => (i * 7919) % 256));
    const cases: [Response, number, RegExp][] = [
      [await upload(app, 'x\n'.repeat(UPLOAD_LIMIT), 'big.log'), 413, /uploadBytes/],
      [await upload(app, junk, 'junk.log'), 422, /binary/],
      [await upload(app, 'not gzip at all\n', 'x.log.gz'), 422, /not valid gzip/],
      [await upload(app, 'a line\n', 'tool.exe'), 415, /\.log/],
      [await upload(app, 'a line\n', 'a.log', { detector: 'forest' }), 400, /detector/],
      [await upload(app, 'a line\n', 'a.log', { model: 'missing' }), 404, /missing/],
      [
        await app.request('/api/v1/uploads', {
          method: 'POST',
          body: '{}',
          headers: { 'content-type': 'application/json' },
        }),
        415,
        /multipart/,
      ],
      [await app.request('/api/v1/uploads', { method: 'POST', body: new FormData() }), 400, /no file part|multipart/],
    ];
    for (const [res, status, message] of cases) {
      expect(res.status).toBe(status);
      expect(await errorOf(res)).toMatch(message);
    }
    expect(readdirSync(t.ctx.config.uploads.dir)).toHaveLength(before);
  });

  it('keeps uploads apart: each id sees only its own records', async () => {
    const a = (await (await upload(app, webLines(20, 21).join('\n'), 'a.log')).json()) as UploadReply;
    const b = (await (await upload(app, webLines(30, 22).join('\n'), 'b.log')).json()) as UploadReply;
    expect(a.id).not.toBe(b.id);
    const pageA = (await (await app.request(`/api/v1/uploads/${a.id}/records?limit=1000`)).json()) as Page;
    const pageB = (await (await app.request(`/api/v1/uploads/${b.id}/records?limit=1000`)).json()) as Page;
    expect(pageA.records.map((r) => r.line)).toEqual(webLines(20, 21));
    expect(pageB.records.map((r) => r.line)).toEqual(webLines(30, 22));
    for (const id of ['00000000-0000-4000-8000-000000000000', '..', '..%2F..%2Fmodels']) {
      const res = await app.request(`/api/v1/uploads/${id}/records`);
      expect(res.status).toBe(404);
    }
    expect((await app.request(`/api/v1/uploads/${a.id}/records?severity=bad`)).status).toBe(400);
    expect((await app.request(`/api/v1/uploads/${a.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await app.request(`/api/v1/uploads/${a.id}`)).status).toBe(404);
    expect((await app.request(`/api/v1/uploads/${b.id}`)).status).toBe(200);
  });

  it('expires uploads after the configured ttl', async () => {
    const short = await testContext({ web: model }, { uploads: { ttl: '1ms' } });
    try {
      const shortApp = createApp(short.ctx);
      const res = await upload(shortApp, webLines(5, 1).join('\n'), 'a.log');
      expect(res.status).toBe(201);
      const { id } = (await res.json()) as UploadReply;
      await new Promise((r) => setTimeout(r, 5));
      expect((await shortApp.request(`/api/v1/uploads/${id}/records`)).status).toBe(404);
      expect(existsSync(join(short.ctx.config.uploads.dir, id))).toBe(false);
    } finally {
      await short.cleanup();
    }
  });
});
