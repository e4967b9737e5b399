import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScoredLine } from '../../types.js';
import { createApp } from '../app.js';
import { testContext, trainWebModel, webLines, type TestContext } from '../../../testkit/app.js';
import type { Job } from './jobs.js';

let t: TestContext;
let app: Hono;

beforeAll(async () => {
  t = await testContext({ web: await trainWebModel('web', 2_000, 7) });
  app = createApp(t.ctx);
});
afterAll(() => t.cleanup());

const json = (method: string, path: string, body?: unknown) =>
  app.request(path, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
  });

async function finished(id: string): Promise<Job> {
  for (;;) {
    const job = (await (await app.request(`/api/v1/jobs/${id}`)).json()) as Job;
    if (job.state === 'succeeded' || job.state === 'failed') return job;
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Card {
  name: string;
  createdAt: string;
  detector: string;
  thresholds: Record<string, { medium: number }>;
  features: string[];
  trainedOn: { lines: number; source: string };
  quality: {
    validation: { passed: boolean; heldOutLines: number };
    feedback: { excludedConfirmed: number; addedFalsePositives: number };
  } | null;
  rollbackAvailable: boolean;
}

describe('models', () => {
  it('lists model cards and shows one', async () => {
    const list = (await (await app.request('/api/v1/models')).json()) as { models: Card[] };
    expect(list.models.map((m) => m.name)).toEqual(['web']);
    const card = (await (await app.request('/api/v1/models/web')).json()) as Card;
    expect(card).toMatchObject({ name: 'web', detector: 'iforest', quality: null, rollbackAvailable: false });
    expect(card.trainedOn.lines).toBe(2_000);
    expect(card.features.length).toBeGreaterThan(3);
    expect(card.thresholds.iforest.medium).toBeGreaterThan(0);
    expect((await app.request('/api/v1/models/none')).status).toBe(404);
  });

  it('trains from an upload as a job, validates, installs, and rolls back', async () => {
    const before = (await (await app.request('/api/v1/models/web')).json()) as Card;
    const form = new FormData();
    form.append('file', new Blob([webLines(1_500, 31).join('\n')]), 'train.log');
    const up = (await (await app.request('/api/v1/uploads', { method: 'POST', body: form })).json()) as { id: string };

    const started = await json('POST', '/api/v1/models/train', {
      name: 'web',
      detector: 'iforest',
      seed: 3,
      from: { upload: up.id },
    });
    expect(started.status).toBe(202);
    const job = await finished(((await started.json()) as { job: string }).job);
    expect(job.state).toBe('succeeded');
    expect(job.progress).toBe(1);

    const after = (await (await app.request('/api/v1/models/web')).json()) as Card;
    expect(after.createdAt).not.toBe(before.createdAt);
    expect(after.trainedOn.lines).toBe(1_350);
    expect(after.quality?.validation).toMatchObject({ passed: true, heldOutLines: 150 });
    expect(after.rollbackAvailable).toBe(true);

    const rolled = await json('POST', '/api/v1/models/web/rollback');
    expect(rolled.status).toBe(200);
    expect(((await rolled.json()) as Card).createdAt).toBe(before.createdAt);
    expect(((await (await app.request('/api/v1/models/web')).json()) as Card).createdAt).toBe(before.createdAt);
  });

  it('keeps the old model when validation fails', async () => {
    const form = new FormData();
    form.append('file', new Blob([webLines(100, 32).join('\n')]), 'tiny.log');
    const up = (await (await app.request('/api/v1/uploads', { method: 'POST', body: form })).json()) as { id: string };
    const before = (await (await app.request('/api/v1/models/web')).json()) as Card;
    const started = await json('POST', '/api/v1/models/train', {
      name: 'web',
      detector: 'iforest',
      from: { upload: up.id },
    });
    const job = await finished(((await started.json()) as { job: string }).job);
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/validation failed, model not installed: only 10 held-out lines/);
    expect(((await (await app.request('/api/v1/models/web')).json()) as Card).createdAt).toBe(before.createdAt);
  });

  it('trains from a stream selector and time range through the sources', async () => {
    const logs = join(t.dir, 'logs');
    mkdirSync(logs, { recursive: true });
    const lines = webLines(1_000, 33);
    appendFileSync(join(logs, 'access.log'), `${lines.join('\n')}\n`);
    const feedback = [
      { kind: 'false_positive', labels: { job: 'web' }, template: 'GET /odd', line: 'an odd but normal line' },
      { kind: 'false_positive', labels: { job: 'hdfs' }, template: 'x', line: 'another stream entirely' },
      { kind: 'confirm', labels: { job: 'web', filename: 'access.log' }, template: 'y', line: lines[0] },
    ];
    for (const f of feedback) expect((await json('POST', '/api/v1/feedback', f)).status).toBe(201);
    const started = await json('POST', '/api/v1/models/train', {
      name: 'web2',
      detector: 'iforest',
      from: { selector: '{job="web"}', start: '2024-02-29T00:00:00Z', end: '2024-03-03T00:00:00Z' },
    });
    expect(started.status).toBe(202);
    const job = await finished(((await started.json()) as { job: string }).job);
    expect(job.error).toBeUndefined();
    const card = (await (await app.request('/api/v1/models/web2')).json()) as Card;
    expect(card.trainedOn).toMatchObject({ lines: 900 - 1 + 20, source: '{job="web"}' });
    expect(card.quality?.feedback).toEqual({ excludedConfirmed: 1, addedFalsePositives: 1 });
    const scored = await json('POST', '/api/v1/analyze', { line: webLines(1, 34)[0], model: 'web2' });
    expect(((await scored.json()) as ScoredLine).detector).toMatch(/^web2\//);
  });

  it('refuses bad training requests and unknown rollbacks', async () => {
    const cases: [Response, number, RegExp][] = [
      [await json('POST', '/api/v1/models/train', { name: '../x', from: { selector: '{job="web"}' } }), 400, /name/],
      [await json('POST', '/api/v1/models/train', { name: 'x', from: { selector: 'job=web' } }), 400, /selector/],
      [
        await json('POST', '/api/v1/models/train', {
          name: 'x',
          from: { upload: '00000000-0000-4000-8000-000000000000' },
        }),
        404,
        /upload/,
      ],
      [
        await json('POST', '/api/v1/models/train', {
          name: 'x',
          from: { selector: '{job="web"}', start: 0, end: 10 * 86_400_000 * 365 },
        }),
        400,
        /queryHours/,
      ],
      [
        await json('POST', '/api/v1/models/train', { name: 'x', from: { selector: '{job="web"}', start: 10, end: 5 } }),
        400,
        /after/,
      ],
      [await json('POST', '/api/v1/models/nothing/rollback'), 404, /no previous version/],
      [await json('POST', '/api/v1/models/..%2F..%2Fetc/rollback'), 404, /no model named/],
      [await app.request('/api/v1/jobs/nope'), 404, /no such job/],
    ];
    for (const [res, status, message] of cases) {
      expect(res.status).toBe(status);
      expect(((await res.json()) as { error: string }).error).toMatch(message);
    }
  });
});
