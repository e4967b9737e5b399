import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from '../app.js';
import { testContext, trafficLines, trainWebModel, type TestContext } from '../../../testkit/app.js';

const T0 = Date.UTC(2026, 0, 1);
const NS = (ms: number) => `${ms}000000`;
let tc: TestContext;
let app: Hono;

beforeAll(async () => {
  tc = await testContext({ web: await trainWebModel() });
  mkdirSync(join(tc.dir, 'logs'));
  const lines = trafficLines({ lines: 500, seed: 8, anomalyRate: 0.2, start: T0 });
  writeFileSync(join(tc.dir, 'logs', 'access.log'), `${lines.join('\n')}\n`);
  app = createApp(tc.ctx);
});
afterAll(() => tc.cleanup());

interface Streams {
  data: {
    result: {
      stream: Record<string, string>;
      values: [string, string, { structuredMetadata?: Record<string, string> }][];
    }[];
  };
}

async function anomalies() {
  const params = new URLSearchParams({
    query: '{job="web"} | anomaly_severity!="normal"',
    start: NS(T0),
    end: NS(T0 + 86_400_000),
    limit: '5000',
  });
  const res = await app.request(`/loki/api/v1/query_range?${params}`, {
    headers: { 'X-Loki-Response-Encoding-Flags': 'categorize-labels' },
  });
  const body = (await res.json()) as Streams;
  return body.data.result.flatMap((s) =>
    s.values.map((v) => ({ stream: s.stream, template: v[2].structuredMetadata?.anomaly_template ?? '' })),
  );
}

it('feedback holds on the next query for rows the scored index cached before it', async () => {
  const before = await anomalies();
  expect(before.length).toBeGreaterThan(5);
  const { stream, template } = before[0];
  const post = (path: string, body: unknown) =>
    app.request(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const res = await post('/loki/api/v1/anomalog/feedback', { kind: 'false_positive', labels: stream, template });
  expect(res.status).toBe(201);
  const after = await anomalies();
  expect(after.filter((r) => r.template === template)).toEqual([]);
  expect(after.length).toBe(before.length - before.filter((r) => r.template === template).length);

  const { id } = (await res.json()) as { id: string };
  await post(`/loki/api/v1/anomalog/feedback/${id}/undo`, {});
  expect(await anomalies()).toHaveLength(before.length);
});

it('an undo also restores rows scored while the feedback was in effect', async () => {
  const before = await anomalies();
  const { stream, template } = before[0];
  const ofTemplate = (rows: { template: string }[]) => rows.filter((r) => r.template === template).length;
  const post = (path: string, body: unknown) =>
    app.request(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const res = await post('/loki/api/v1/anomalog/feedback', { kind: 'false_positive', labels: stream, template });
  const { id } = (await res.json()) as { id: string };
  const more = trafficLines({ lines: 500, seed: 8, anomalyRate: 0.2, start: T0 + 3_600_000 });
  appendFileSync(join(tc.dir, 'logs', 'access.log'), `${more.join('\n')}\n`);
  const during = await anomalies();
  expect(ofTemplate(during)).toBe(0);
  await post(`/loki/api/v1/anomalog/feedback/${id}/undo`, {});
  const after = await anomalies();
  expect(ofTemplate(after)).toBeGreaterThan(ofTemplate(before));
  expect(after.length).toBeGreaterThan(before.length);
});
