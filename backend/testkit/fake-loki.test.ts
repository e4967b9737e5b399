import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeLoki, type FakeLoki } from './fake-loki.js';

let loki: FakeLoki;
beforeEach(async () => {
  loki = await startFakeLoki();
});
afterEach(async () => {
  await loki.close();
});

const push = (body: unknown) =>
  fetch(`${loki.url}/loki/api/v1/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

async function queryRange(params: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(`${loki.url}/loki/api/v1/query_range?${new URLSearchParams(params)}`, { headers });
  return { status: res.status, text: await res.text() };
}

describe('fake loki', () => {
  it('accepts a JSON push with structured metadata and answers query_range in Loki shapes', async () => {
    const res = await push({
      streams: [
        {
          stream: { job: 'web' },
          values: [
            ['1000', 'GET /a'],
            ['2000', 'GET /b', { score: '0.9' }],
          ],
        },
      ],
    });
    expect(res.status).toBe(204);
    expect(loki.pushes).toHaveLength(1);

    const plain = JSON.parse(
      (await queryRange({ query: '{job="web"}', start: '0', end: '3000', direction: 'forward' })).text,
    );
    expect(plain.status).toBe('success');
    expect(plain.data.resultType).toBe('streams');
    // Without categorize-labels, structured metadata splits streams as labels.
    expect(plain.data.result).toEqual([
      { stream: { job: 'web' }, values: [['1000', 'GET /a']] },
      { stream: { job: 'web', score: '0.9' }, values: [['2000', 'GET /b']] },
    ]);

    const cat = await queryRange(
      { query: '{job="web"} |= "/b"', start: '0', end: '3000' },
      { 'X-Loki-Response-Encoding-Flags': 'categorize-labels' },
    );
    expect(cat.text.indexOf('"encodingFlags"')).toBeLessThan(cat.text.indexOf('"result"'));
    expect(JSON.parse(cat.text).data.result).toEqual([
      { stream: { job: 'web' }, values: [['2000', 'GET /b', { structuredMetadata: { score: '0.9' } }]] },
    ]);
  });

  it('honours start (inclusive), end (exclusive), limit and direction so clients can paginate', async () => {
    const t0 = 1_700_000_000_000_000_000n;
    loki.ingest(
      { job: 'app' },
      Array.from({ length: 10 }, (_, i) => ({ ts: t0 + BigInt(i), line: `l${i}` })),
    );
    const [start, end] = [String(t0 + 1n), String(t0 + 9n)];
    const page = JSON.parse(
      (await queryRange({ query: '{job=~"a.p"}', start, end, limit: '3', direction: 'forward' })).text,
    );
    expect(page.data.result[0].values.map((v: string[]) => v[1])).toEqual(['l1', 'l2', 'l3']);
    const back = JSON.parse((await queryRange({ query: '{job="app"} != "l8"', start, end, limit: '3' })).text);
    expect(back.data.result[0].values.map((v: string[]) => v[1])).toEqual(['l7', 'l6', 'l5']);
  });

  it('serves labels, values, series, ready and count_over_time', async () => {
    loki.ingest({ job: 'web', host: 'a' }, [
      { ts: 1_000_000_000n, line: 'x' },
      { ts: 2_000_000_000n, line: 'y' },
    ]);
    const labels = await (await fetch(`${loki.url}/loki/api/v1/labels`)).json();
    expect(labels).toEqual({ status: 'success', data: ['host', 'job'] });
    expect(await (await fetch(`${loki.url}/loki/api/v1/label/host/values`)).json()).toEqual({
      status: 'success',
      data: ['a'],
    });
    expect((await (await fetch(`${loki.url}/loki/api/v1/series?match[]={job="web"}`)).json()).data).toEqual([
      { job: 'web', host: 'a' },
    ]);
    expect(await (await fetch(`${loki.url}/ready`)).text()).toBe('ready');
    const m = JSON.parse(
      (await queryRange({ query: 'sum(count_over_time({job="web"}[5s]))', start: '2', end: '3', step: '1s' })).text,
    );
    expect(m.data).toMatchObject({
      resultType: 'matrix',
      result: [
        {
          metric: {},
          values: [
            [2, '2'],
            [3, '2'],
          ],
        },
      ],
    });
  });

  it('rejects bad pushes and bad queries with 400, and answers 503 while down', async () => {
    expect((await push({ streams: [{ stream: { job: 'x' }, values: [[1, 'numeric ts']] }] })).status).toBe(400);
    expect((await queryRange({ query: 'nonsense' })).status).toBe(400);
    loki.setDown(true);
    expect((await push({ streams: [] })).status).toBe(503);
    expect((await fetch(`${loki.url}/ready`)).status).toBe(503);
    loki.setDown(false);
    expect((await fetch(`${loki.url}/ready`)).status).toBe(200);
  });
});
