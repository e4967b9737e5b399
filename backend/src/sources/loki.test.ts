import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../metrics.js';
import { parseSelector } from '../logql/selector.js';
import { startFakeLoki, type FakeLoki } from '../../testkit/fake-loki.js';
import { createLokiSource, SourceError } from './loki.js';
import { lineFilter } from '../logql/line-filter.js';
import type { SourceEntry } from './types.js';

let loki: FakeLoki;
beforeEach(async () => {
  loki = await startFakeLoki();
});
afterEach(async () => {
  await loki.close();
});

const T0 = 1_767_225_600_000_000_000n;
const all = { start: T0, end: T0 + 1_000_000n };

async function collect(it: AsyncIterable<SourceEntry>): Promise<SourceEntry[]> {
  const out: SourceEntry[] = [];
  for await (const e of it) out.push(e);
  return out;
}

/** 25 lines over two streams, with three lines sharing one nanosecond where a page of 4 ends. */
function seed() {
  const web = Array.from({ length: 15 }, (_, i) => ({ ts: T0 + BigInt(i < 3 ? 3 : i), line: `web ${i}` }));
  const api = Array.from({ length: 10 }, (_, i) => ({ ts: T0 + 100n + BigInt(i), line: `api ${i}` }));
  loki.ingest({ job: 'web' }, web);
  loki.ingest({ job: 'web', host: 'b' }, api);
  return [...web, ...api].sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0)).map((e) => e.line);
}

describe('loki source', () => {
  it('pages past the per-query limit forward, without a gap or a duplicate at same-nanosecond boundaries', async () => {
    const expected = seed();
    const source = createLokiSource({ url: loki.url }, { pageSize: 4 });
    const got = await collect(source.read({ ...all, selector: parseSelector('{job="web"}'), lineFilters: [] }));
    expect(got.map((e) => e.line).sort()).toEqual([...expected].sort());
    expect(got.map((e) => e.ts)).toEqual([...got.map((e) => e.ts)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    const pages = loki.requests.filter((r) => r.path === '/loki/api/v1/query_range');
    expect(pages.length).toBeGreaterThan(5);
    for (const p of pages) expect(Number(p.params.limit)).toBeLessThanOrEqual(8);
  });

  it("pages backward too, and stops at the caller's limit", async () => {
    const expected = seed();
    const source = createLokiSource({ url: loki.url }, { pageSize: 4 });
    const got = await collect(
      source.read({ ...all, selector: parseSelector('{job="web"}'), lineFilters: [], direction: 'backward' }),
    );
    expect(got.map((e) => e.line).sort()).toEqual([...expected].sort());
    expect(got[0].line).toBe('api 9');
    const firstSix = await collect(
      source.read({ ...all, selector: parseSelector('{job="web"}'), lineFilters: [], limit: 6 }),
    );
    expect(firstSix).toHaveLength(6);
  });

  it('pushes the selector and line filters down, with tenant and auth headers', async () => {
    seed();
    const source = createLokiSource({ url: loki.url, tenant: 'team-a', bearer: 's3cret' });
    const got = await collect(
      source.read({
        ...all,
        selector: parseSelector('{host="b"}'),
        lineFilters: [lineFilter('|~', ['api [0-4]']), lineFilter('!=', ['api 2'])],
      }),
    );
    expect(got.map((e) => e.line)).toEqual(['api 0', 'api 1', 'api 3', 'api 4']);
    const [req] = loki.requests;
    expect(req.params.query).toBe('{host="b"} |~ "api [0-4]" != "api 2"');
    expect(req.headers['x-scope-orgid']).toBe('team-a');
    expect(req.headers.authorization).toBe('Bearer s3cret');

    const basic = createLokiSource({ url: loki.url, basicAuth: 'user:pw' });
    expect(await basic.streams(parseSelector('{job="web"}'))).toEqual([{ job: 'web' }, { job: 'web', host: 'b' }]);
    expect(loki.requests.at(-1)!.headers.authorization).toBe(`Basic ${Buffer.from('user:pw').toString('base64')}`);
  });

  it('turns an outage into a clear 502 SourceError, counted in metrics, and works again after it', async () => {
    seed();
    const metrics = createMetrics();
    const source = createLokiSource({ url: loki.url }, { metrics });
    loki.setDown(true);
    const failure = await collect(
      source.read({ ...all, selector: parseSelector('{job="web"}'), lineFilters: [] }),
    ).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SourceError);
    expect((failure as SourceError).status).toBe(502);
    expect((failure as SourceError).message).toMatch(/upstream Loki answered 503/);
    expect(await metrics.registry.getSingleMetricAsString('anomalog_source_errors_total')).toMatch(/source="loki"} 1/);
    loki.setDown(false);
    expect(
      await collect(source.read({ ...all, selector: parseSelector('{job="web"}'), lineFilters: [] })),
    ).toHaveLength(25);

    const refused = await source.get('/loki/api/v1/query_range', { query: 'nonsense' }).catch((e: unknown) => e);
    expect((refused as SourceError).status).toBe(400);
    await loki.close();
    const unreachable = await source.get('/loki/api/v1/labels', {}).catch((e: unknown) => e);
    expect((unreachable as SourceError).message).toMatch(/unreachable/);
  });
});
