import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemLog } from '../../../test/fixtures/logs.js';
import { testContext, type TestContext } from '../../../testkit/app.js';
import { train } from '../../pipeline/index.js';
import { lokiRoutes } from './index.js';

const T0 = Date.UTC(2024, 2, 1, 10);
const NS = (ms: number) => `${BigInt(ms) * 1_000_000n}`;

let tc: TestContext;
let app: Hono;

beforeAll(async () => {
  const model = await train(systemLog(60, 40), { detector: 'iforest', seed: 1 });
  tc = await testContext(
    { app: model },
    {
      defaults: { detector: 'iforest', model: 'app' },
      sources: { file: [{ path: 'logs/app*.log', labels: { job: 'app' } }] },
    },
  );
  mkdirSync(join(tc.dir, 'logs'));
  writeFileSync(join(tc.dir, 'logs', 'app.log'), `${systemLog(60, 40, { 25: 14 }).join('\n')}\n`);
  app = new Hono().route('/', lokiRoutes(tc.ctx));
});
afterAll(() => tc.cleanup());

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any
const get = async (path: string, params: Record<string, string>) =>
  (await (await app.request(`${path}?${new URLSearchParams(params)}`)).json()) as Json;

describe('a burst on the Loki API', () => {
  it('carries anomaly_burst on each of its lines, so a metric query counts the burst once', async () => {
    const logs = await get('/loki/api/v1/query_range', {
      query: '{job="app"} | anomaly_burst!=""',
      start: NS(T0),
      end: NS(T0 + 3_600_000),
      limit: '1000',
    });
    const values = logs.data.result.flatMap((s: Json) => s.values.map((v: string[]) => [v[1], s.stream.anomaly_burst]));
    expect(values).toHaveLength(14);
    for (const [line, burst] of values) {
      expect(line).toMatch(/^2024-03-01 10:25:\d\d,\d{3} ERROR /);
      expect(burst).toBe('1@2024-03-01T10:25Z');
    }
    const bursts = await get('/loki/api/v1/query', {
      query: 'count(sum by (anomaly_burst) (count_over_time({job="app"} | anomaly_burst!="" [1h])))',
      time: NS(T0 + 3_600_000),
    });
    expect(bursts.data.result.map((r: Json) => r.value[1])).toEqual(['1']);
  });
});
