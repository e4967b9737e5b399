import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Model } from '../../models/index.js';
import { startFakeLoki, type FakeLoki } from '../../../testkit/fake-loki.js';
import { testContext, trafficLines, trainWebModel, type TestContext } from '../../../testkit/app.js';
import { lokiRoutes } from './index.js';

const T0 = Date.UTC(2026, 0, 1);
const NS = (ms: number) => `${BigInt(ms) * 1_000_000n}`;
const RANGE = { start: NS(T0), end: NS(T0 + 3_600_000) };
const FIELDS = ['anomaly_detector', 'anomaly_reason', 'anomaly_score', 'anomaly_severity', 'anomaly_template'];

let tc: TestContext;
let app: Hono;
let lines: string[];
let model: Model;

beforeAll(async () => {
  model = await trainWebModel();
  tc = await testContext({ web: model });
  lines = trafficLines({ lines: 600, seed: 11, anomalyRate: 0.15, start: T0 });
  mkdirSync(join(tc.dir, 'logs'));
  writeFileSync(join(tc.dir, 'logs', 'access.log'), `${lines.join('\n')}\n`);
  app = new Hono().route('/', lokiRoutes(tc.ctx)).route('/detectors/:detector', lokiRoutes(tc.ctx));
});
afterAll(() => tc.cleanup());

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

async function get(path: string, params: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await app.request(`${path}?${new URLSearchParams(params)}`, { headers });
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) as Json };
}
const queryRange = (query: string, extra: Record<string, string> = {}, headers: Record<string, string> = {}) =>
  get('/loki/api/v1/query_range', { query, ...RANGE, limit: '1000', ...extra }, headers);
const categorized = { 'X-Loki-Response-Encoding-Flags': 'categorize-labels' };

describe('Loki contract', () => {
  it('answers the Grafana health query vector(1)+vector(1) with one sample "2"', async () => {
    const { status, body } = await get('/loki/api/v1/query', { query: 'vector(1)+vector(1)', time: RANGE.end });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      status: 'success',
      data: { resultType: 'vector', result: [{ metric: {}, value: [T0 / 1000 + 3600, '2'] }] },
    });
    expect(body.data.result).toHaveLength(1);
  });

  it('returns every line of a log query, anomaly fields as labels, nanosecond timestamps as strings', async () => {
    const { status, body } = await queryRange('{job="web"}', { direction: 'forward' });
    expect(status).toBe(200);
    expect(body.status).toBe('success');
    expect(body.data.resultType).toBe('streams');
    const values = body.data.result.flatMap((s: Json) => s.values);
    expect(values).toHaveLength(lines.length);
    expect(new Set(values.map((v: string[]) => v[1]))).toEqual(new Set(lines));
    for (const stream of body.data.result) {
      expect(Object.keys(stream.stream)).toEqual(expect.arrayContaining(['job', 'filename', ...FIELDS]));
      for (const v of stream.values) {
        expect(v).toHaveLength(2);
        expect(v[0]).toMatch(/^\d{19}$/);
      }
    }
    expect(values[0][0]).toBe(NS(T0));
  });

  it('puts the fields in structured metadata with categorize-labels, encodingFlags written before result', async () => {
    const { text, body } = await queryRange('{job="web"}', { limit: '50' }, categorized);
    expect(text.indexOf('"encodingFlags"')).toBeGreaterThan(-1);
    expect(text.indexOf('"encodingFlags"')).toBeLessThan(text.indexOf('"result"'));
    expect(body.data.encodingFlags).toEqual(['categorize-labels']);
    const [stream] = body.data.result;
    expect(body.data.result).toHaveLength(1);
    expect(Object.keys(stream.stream).sort()).toEqual(['filename', 'job', 'service_name']);
    expect(stream.values).toHaveLength(50);
    const times = stream.values.map((v: string[]) => BigInt(v[0]));
    expect(times).toEqual([...times].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0))); // backward: newest first
    for (const [ts, line, meta] of stream.values) {
      expect(typeof ts).toBe('string');
      expect(typeof line).toBe('string');
      expect(Object.keys(meta.structuredMetadata).sort()).toEqual([...FIELDS, 'detected_level'].sort());
      expect(meta.structuredMetadata.anomaly_score).toMatch(/^\d\.\d{3}$/);
    }
  });

  it('filters on anomaly fields, in a pipeline or in the selector', async () => {
    const all = (await queryRange('{job="web"}', {}, categorized)).body.data.result[0].values;
    const meta = (v: Json) => v[2].structuredMetadata;
    const severe = all.filter((v: Json) => ['high', 'critical'].includes(meta(v).anomaly_severity));
    const high = await queryRange('{job="web"} | anomaly_severity=~"high|critical"', {}, categorized);
    expect(high.body.data.result.flatMap((s: Json) => s.values)).toEqual(severe);
    const inSelector = await queryRange('{job="web", anomaly_severity=~"high|critical"}', {}, categorized);
    expect(inSelector.body.data.result.flatMap((s: Json) => s.values)).toEqual(severe);

    const scored = await queryRange('{job="web"} |= "GET" | anomaly_score > 0.5', {}, categorized);
    const expected = all.filter((v: Json) => v[1].includes('GET') && Number(meta(v).anomaly_score) > 0.5);
    expect(scored.body.data.result.flatMap((s: Json) => s.values)).toEqual(expected);
  });

  it('evaluates the alert-rule metric query over anomaly fields as a matrix', async () => {
    const query =
      'sum by (anomaly_severity) (count_over_time({job="web"} | anomaly_severity=~"medium|high|critical" [5m]))';
    const { status, body } = await queryRange(query, { step: '60' });
    expect(status).toBe(200);
    expect(body.data.resultType).toBe('matrix');
    const all = (await queryRange('{job="web"}', {}, categorized)).body.data.result[0].values as Json[];
    const severities = new Set(
      all
        .map((v) => v[2].structuredMetadata.anomaly_severity)
        .filter((s) => ['medium', 'high', 'critical'].includes(s)),
    );
    expect(severities.size).toBeGreaterThan(0);
    expect(body.data.result.map((s: Json) => s.metric.anomaly_severity).sort()).toEqual([...severities].sort());
    for (const series of body.data.result) {
      expect(Object.keys(series.metric)).toEqual(['anomaly_severity']);
      for (const [t, value] of series.values) {
        expect(typeof t).toBe('number');
        expect(typeof value).toBe('string');
        const end = BigInt(t) * 1_000_000_000n;
        const inWindow = all.filter((v) => {
          const ts = BigInt(v[0]);
          return (
            ts > end - 300_000_000_000n &&
            ts <= end &&
            v[2].structuredMetadata.anomaly_severity === series.metric.anomaly_severity
          );
        });
        expect(value).toBe(String(inWindow.length));
      }
    }
  });

  it('supports rate, unwrap, topk and scalar arithmetic', async () => {
    const rate = await queryRange('sum(rate({job="web"}[1m])) * 60', { step: '60s' });
    const counts = await queryRange('sum(count_over_time({job="web"}[1m]))', { step: '60s' });
    expect(rate.body.data.result[0].values.map((v: Json) => Number(v[1]).toFixed(6))).toEqual(
      counts.body.data.result[0].values.map((v: Json) => Number(v[1]).toFixed(6)),
    );
    const volume = await queryRange(
      'sum by (level, detected_level) (count_over_time({job="web"} | drop __error__, __error_details__ [1m]))',
      { step: '60s' },
    );
    expect(volume.status).toBe(200); // Grafana's log volume histogram query
    // one series per detected_level (web lines: from the status), summing to the total per step
    expect(volume.body.data.result.map((s: Json) => Object.keys(s.metric))).toEqual(
      volume.body.data.result.map(() => ['detected_level']),
    );
    const perStep = new Map<number, number>();
    for (const s of volume.body.data.result)
      for (const [t, v] of s.values) perStep.set(t, (perStep.get(t) ?? 0) + Number(v));
    expect(counts.body.data.result[0].values.map(([t, v]: [number, string]) => [t, Number(v)])).toEqual(
      [...perStep].sort(([a], [b]) => a - b),
    );
    const maxScore = await get('/loki/api/v1/query', {
      query: 'max_over_time({job="web"} | unwrap anomaly_score [1h])',
      time: RANGE.end,
    });
    expect(maxScore.status).toBe(200);
    expect(Number(maxScore.body.data.result[0].value[1])).toBeGreaterThan(0);
    const top = await get('/loki/api/v1/query', {
      query: 'topk(2, sum by (anomaly_template) (count_over_time({job="web"}[1h])))',
      time: RANGE.end,
    });
    expect(top.body.data.result).toHaveLength(2);
    expect(Number(top.body.data.result[0].value[1])).toBeGreaterThanOrEqual(Number(top.body.data.result[1].value[1]));
  });

  it('answers malformed or unsupported queries with 400 and a message, never 500', async () => {
    const bad = [
      'sum(',
      '{job="web"',
      '{job="web"} | line_format "{{.x"',
      '{job="web"} |= ip("10.0.0.1")',
      '{job=""}',
      '{job="web"} |~ "("',
      '\u0000\ufffd\ud800',
      '{job="web"} | logfmt --strict x',
      '{job="web"} | logfmt --strict',
    ];
    for (const query of bad) {
      const res = await queryRange(query);
      expect(res.status, query).toBe(400);
      expect(res.body.status).toBe('error');
      expect(res.body.message).toBe(res.body.error);
      expect(res.body.message.length).toBeGreaterThan(5);
    }
    expect((await queryRange('{job="web"} | regexp "(?P<ip>\\\\S+)"')).body.message).toMatch(
      /unsupported LogQL: `regexp/,
    );
    expect((await queryRange('{job="web"}', { limit: '100000' })).body.message).toMatch(/max entries limit/);
    expect((await queryRange('{job="web"}', { start: '0' })).body.message).toMatch(/time range exceeds the limit/);
    expect((await queryRange('{job="web"}', { start: RANGE.end, end: RANGE.start })).status).toBe(400);
    expect((await queryRange('{job="web"}', { step: '-1' })).status).toBe(400);
    expect((await get('/loki/api/v1/query', { query: '{job="web"}' })).body.message).toMatch(/instant query/);
    expect((await get('/loki/api/v1/query_range', {})).status).toBe(400);
  });

  it('serves each detector under /detectors/:detector and 404s an unknown one', async () => {
    const own = await get(
      '/detectors/iforest/loki/api/v1/query_range',
      { query: '{job="web"}', ...RANGE, limit: '5' },
      categorized,
    );
    expect(own.status).toBe(200);
    expect(own.body.data.result[0].values[0][2].structuredMetadata.anomaly_detector).toMatch(/iforest/);
    const unknown = await app.request('/detectors/bogus/loki/api/v1/labels');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'unknown detector "bogus": use iforest, autoencoder, ensemble' });
    const missing = await get('/detectors/autoencoder/loki/api/v1/query_range', { query: '{job="web"}', ...RANGE });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toMatch(/no autoencoder member/);
  });

  it('accepts query_range as a form POST', async () => {
    const res = await app.request('/loki/api/v1/query_range', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        query: 'sum(count_over_time({job="web"}[2h]))',
        start: RANGE.end,
        end: RANGE.end,
        step: '60',
      }).toString(),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      data: { resultType: 'matrix', result: [{ metric: {}, values: [[T0 / 1000 + 3600, String(lines.length)]] }] },
    });
  });
});

describe('Loki metadata endpoints', () => {
  it('lists labels, values and series from the configured sources only', async () => {
    // anomaly fields are not stream labels; service_name is derived as Loki 3 does
    expect((await get('/loki/api/v1/labels', RANGE)).body).toEqual({
      status: 'success',
      data: ['filename', 'job', 'service_name'],
    });
    expect((await get('/loki/api/v1/label/job/values', RANGE)).body).toEqual({ status: 'success', data: ['web'] });
    expect((await get('/loki/api/v1/label/anomaly_severity/values', {})).body.data).toEqual([
      'critical',
      'high',
      'learning',
      'low',
      'medium',
      'normal',
    ]);
    const series = await get('/loki/api/v1/series', { 'match[]': '{job="web"}', ...RANGE });
    expect(series.body).toEqual({
      status: 'success',
      data: [{ job: 'web', filename: join(tc.dir, 'logs', 'access.log'), service_name: 'web' }],
    });
    expect((await get('/loki/api/v1/series', { 'match[]': '{filename="/etc/passwd"}', ...RANGE })).body.data).toEqual(
      [],
    );
    expect((await get('/loki/api/v1/series', {})).status).toBe(400);
  });

  it('answers index/stats, index/volume, detected_labels, detected_fields, patterns and buildinfo in Loki shapes', async () => {
    const bytes = lines.reduce((n, l) => n + Buffer.byteLength(l), 0);
    expect((await get('/loki/api/v1/index/stats', { query: '{job="web"}', ...RANGE })).body).toEqual({
      streams: 1,
      chunks: 1,
      bytes,
      entries: lines.length,
    });
    const volume = await get('/loki/api/v1/index/volume', { query: '{job="web"}', ...RANGE });
    expect(volume.body).toEqual({
      status: 'success',
      data: { resultType: 'vector', result: [{ metric: { job: 'web' }, value: [T0 / 1000 + 3600, String(bytes)] }] },
    });
    expect((await get('/loki/api/v1/detected_labels', { query: '{job="web"}', ...RANGE })).body.detectedLabels).toEqual(
      [
        { label: 'filename', cardinality: 1 },
        { label: 'job', cardinality: 1 },
        { label: 'service_name', cardinality: 1 },
      ],
    );
    const fields = (await get('/loki/api/v1/detected_fields', { query: '{job="web"}', ...RANGE })).body.fields;
    expect(fields.map((f: Json) => f.label).sort()).toEqual([...FIELDS, 'detected_level'].sort());
    expect(fields.find((f: Json) => f.label === 'anomaly_score').type).toBe('float');
    const patterns = (await get('/loki/api/v1/patterns', { query: '{job="web"}', ...RANGE, step: '600s' })).body;
    expect(patterns.status).toBe('success');
    const counted = patterns.data.reduce(
      (n: number, p: Json) => n + p.samples.reduce((m: number, s: number[]) => m + s[1], 0),
      0,
    );
    expect(counted).toBe(lines.length);
    expect(patterns.data[0].pattern).not.toContain('<*>');
    expect((await get('/loki/api/v1/status/buildinfo', {})).body.version).toMatch(/^3\./);
  });
});

describe('over loopback HTTP', () => {
  let server: ServerType;
  let base: string;
  beforeAll(async () => {
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
        base = `http://127.0.0.1:${info.port}`;
        resolve();
      });
    });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('serves the health query, a categorized log query and a 400 over real HTTP', async () => {
    const health = await fetch(`${base}/loki/api/v1/query?query=${encodeURIComponent('vector(1)+vector(1)')}`);
    expect((await health.json()).data.result[0].value[1]).toBe('2');
    const res = await fetch(
      `${base}/loki/api/v1/query_range?${new URLSearchParams({ query: '{job="web"}', ...RANGE, limit: '3' })}`,
      { headers: categorized },
    );
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const text = await res.text();
    expect(text.indexOf('"encodingFlags"')).toBeLessThan(text.indexOf('"result"'));
    expect(JSON.parse(text).data.result[0].values).toHaveLength(3);
    const bad = await fetch(`${base}/loki/api/v1/query_range?query=${encodeURIComponent('sum(')}`);
    expect(bad.status).toBe(400);
  });
});

describe('with Loki as the source', () => {
  let loki: FakeLoki;
  let upstream: TestContext;
  let api: Hono;
  const now = Date.now();
  const window = { start: NS(now - 3_600_000), end: NS(now) };

  beforeAll(async () => {
    loki = await startFakeLoki();
    upstream = await testContext({ web: model }, { sources: { file: [], loki: { url: loki.url, tenant: 'acme' } } });
    loki.ingest(
      { job: 'web' },
      lines.slice(0, 200).map((line, i) => ({ ts: BigInt(now - 600_000 + i) * 1_000_000n, line })),
    );
    api = new Hono().route('/', lokiRoutes(upstream.ctx));
  });
  afterAll(async () => {
    await loki.close();
    await upstream.cleanup();
  });

  const ask = async (query: string, extra: Record<string, string> = {}) => {
    const res = await api.request(
      `/loki/api/v1/query_range?${new URLSearchParams({ query, ...window, limit: '1000', ...extra })}`,
      { headers: categorized },
    );
    return { status: res.status, body: (await res.json()) as Json };
  };

  it('scores log queries read from Loki, pushing the selector and line filters down with the tenant', async () => {
    const { status, body } = await ask('{job="web"} |= "GET" | anomaly_score >= 0');
    expect(status).toBe(200);
    const values = body.data.result.flatMap((s: Json) => s.values);
    expect(values).toHaveLength(lines.slice(0, 200).filter((l) => l.includes('GET')).length);
    expect(Object.keys(values[0][2].structuredMetadata).sort()).toEqual([...FIELDS, 'detected_level'].sort());
    const sent = loki.requests.find((r) => r.path === '/loki/api/v1/query_range')!;
    expect(sent.params.query).toBe('{job="web"} |= "GET"');
    expect(sent.headers['x-scope-orgid']).toBe('acme');
  });

  it('forwards a metric query that names no anomaly field to Loki as it is, and evaluates the others itself', async () => {
    const plain = 'sum(count_over_time({job="web"}[1h]))';
    const forwarded = await ask(plain, { step: '3600' });
    expect(forwarded.status).toBe(200);
    expect(loki.requests.at(-1)!.params.query).toBe(plain);
    expect(forwarded.body.data.result[0].values.at(-1)[1]).toBe('200');
    const local = await ask('sum by (anomaly_severity) (count_over_time({job="web"}[1h]))', { step: '3600' });
    expect(local.body.data.result.reduce((n: number, s: Json) => n + Number(s.values.at(-1)[1]), 0)).toBe(200);
  });

  it("asks Loki's series API over the window for labels, with service_name derived where Loki has none", async () => {
    const res = await api.request(`/loki/api/v1/labels?${new URLSearchParams(window)}`);
    expect(((await res.json()) as Json).data).toEqual(['job', 'service_name']);
    const series = loki.requests.filter((r) => r.path === '/loki/api/v1/series').at(-1)!;
    expect(series.params).toMatchObject({ 'match[]': '{job=~".+"}', start: window.start, end: window.end });
    const values = await api.request(
      `/loki/api/v1/label/service_name/values?${new URLSearchParams({ ...window, query: '{job="web"}' })}`,
    );
    expect(((await values.json()) as Json).data).toEqual(['web']);
  });

  it('answers 502 with a clear message while Loki is down', async () => {
    loki.setDown(true);
    const { status, body } = await ask('{job="web"}');
    loki.setDown(false);
    expect(status).toBe(502);
    expect(body.message).toMatch(/upstream Loki answered 503/);
  });
});

describe('scored index of the file source', () => {
  it('scores only appended lines on the next query, and re-scores when the model is replaced', async () => {
    const own = await testContext({ web: model });
    try {
      mkdirSync(join(own.dir, 'logs'));
      const log = join(own.dir, 'logs', 'access.log');
      writeFileSync(log, `${lines.slice(0, 100).join('\n')}\n`);
      const api = new Hono().route('/', lokiRoutes(own.ctx));
      const count = async () => {
        const res = await api.request(
          `/loki/api/v1/query?${new URLSearchParams({ query: 'sum(count_over_time({job="web"}[2h]))', time: RANGE.end })}`,
        );
        return Number(((await res.json()) as Json).data.result[0].value[1]);
      };
      const scored = () =>
        own.ctx.metrics.registry
          .getSingleMetric('anomalog_lines_scored_total')!
          .get()
          .then((m) => m.values.reduce((n, v) => n + v.value, 0));
      expect(await count()).toBe(100);
      expect(await scored()).toBe(100);
      expect(await count()).toBe(100);
      expect(await scored()).toBe(100); // nothing re-scored
      appendFileSync(log, `${lines.slice(100, 130).join('\n')}\n`);
      expect(await count()).toBe(130);
      expect(await scored()).toBe(130);
      await own.ctx.models.install('web', await trainWebModel('web', 1_000, 8));
      expect(await count()).toBe(130);
      expect(await scored()).toBe(260);
    } finally {
      await own.cleanup();
    }
  });
});
