/**
 * Hostile queries over real loopback HTTP: regexes that backtrack for minutes in a JavaScript engine, inputs that
 * used to throw (500) instead of being refused (400), and a seeded fuzz of mutated valid queries.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32 } from '@anomalog/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from './server.js';
import { testContext, trafficLines, trainWebModel, type TestContext } from '../../testkit/app.js';
import { median, responsiveness } from '../../testkit/responsiveness.js';

const T0 = Date.UTC(2026, 0, 1);
const NS = (ms: number) => `${BigInt(ms) * 1_000_000n}`;
const RANGE = { start: NS(T0), end: NS(T0 + 3_600_000) };

let tc: TestContext;
let server: RunningServer;

beforeAll(async () => {
  tc = await testContext({ web: await trainWebModel() });
  const lines = trafficLines({ lines: 2_000, seed: 3, anomalyRate: 0.05, start: T0 });
  mkdirSync(join(tc.dir, 'logs'));
  writeFileSync(join(tc.dir, 'logs', 'access.log'), `${lines.join('\n')}\n`);
  // A JSON line nested 5,000 deep: `| json` over its range must not fail.
  writeFileSync(join(tc.dir, 'logs', 'access-json.log'), `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}\n`);
  server = await startServer(tc.ctx, { port: 0, host: '127.0.0.1' });
  // Warm the scored index so the timings below measure the query, not the first scoring.
  expect((await queryRange('{job="web"}')).status).toBe(200);
  expect((await queryRange('{job="web"} |~ "warm"')).status).toBe(200);
  expect((await fetch(`${server.url}/health`)).status).toBe(200);
}, 120_000);
afterAll(async () => {
  await server?.close();
  await tc?.cleanup();
});

async function get(path: string, params: Record<string, string>) {
  const res = await fetch(`${server.url}${path}?${new URLSearchParams(params)}`);
  return { status: res.status, text: await res.text() };
}
const queryRange = (query: string, extra: Record<string, string> = {}) =>
  get('/loki/api/v1/query_range', { query, ...RANGE, limit: '1000', ...extra });

describe('regexes run in linear time (RE2)', () => {
  const REDOS = [
    '{job="web"} |~ "([^#]+)+#"',
    '{job="web"} |~ "(a+)+$"',
    '{job="web"} !~ "([^#]+)+#"',
    '{job="web", filename=~"/(.+)+#"}',
    '{job="web"} | filename=~"/(.+)+#"',
    'count_over_time({job="web"} |~ "(\\\\w+\\\\s?)+$" [1h])',
  ];

  it.each(REDOS)('%s answers within 1 s while /health answers within 250 ms', async (query) => {
    const started = performance.now();
    const {
      result: res,
      health,
      loopMaxMs,
    } = await responsiveness(server.url, () => queryRange(query, query.startsWith('count') ? { step: '60' } : {}));
    const took = performance.now() - started;
    expect([200, 400, 422]).toContain(res.status);
    expect(took).toBeLessThan(1_000);
    console.info(
      `figures ${query + ' in ' + took.toFixed(0) + ' ms'}: /health n=${health.length} median ${median(health).toFixed(1)} ms, max ${Math.max(...health).toFixed(1)} ms; event loop held at most ${loopMaxMs.toFixed(1)} ms`,
    );
    // A backtracking engine holds the loop for minutes here (`([^#]+)+#` on 40 characters: 103 s in V8); the bounds
    // leave room for a loaded machine (loop held 31 ms in CI, 117 ms beside two scans on both cores; /health's
    // median 103 ms beside benchmarks on both cores, 8 Dec 2026).
    expect(loopMaxMs).toBeLessThan(250);
    expect(median(health)).toBeLessThan(250);
  });

  it('keeps Go syntax: (?i), \\pL, POSIX classes, named groups; refuses a bad pattern with 400', async () => {
    const body = (r: { text: string }) => JSON.parse(r.text) as { data: { result: { values: string[][] }[] } };
    const count = (r: { text: string }) => body(r).data.result.reduce((n, s) => n + s.values.length, 0);
    const all = count(await queryRange('{job="web"}', { limit: '5000' }));
    expect(
      count(await queryRange('{job="web"} |~ "(?i)MOZILLA|CURL|BOT|PYTHON|GO-HTTP"', { limit: '5000' })),
    ).toBeGreaterThan(0);
    expect(count(await queryRange('{job="web"} |~ "^[[:digit:]]+\\\\.\\\\pN+"', { limit: '5000' }))).toBe(all);
    expect(count(await queryRange('{job="web"} |~ "(?P<verb>GET|POST)"', { limit: '5000' }))).toBeGreaterThan(0);
    const bad = await queryRange('{job="web"} |~ "(a"');
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/bad regular expression/);
    // Perl constructs RE2 does not have (backreferences, lookahead) are refused as Loki refuses them.
    expect((await queryRange('{job="web"} |~ "(a)\\\\1"')).status).toBe(400);
    expect((await queryRange('{job="web"} |~ "a(?=b)"')).status).toBe(400);
  });
});

describe('every bad query is a 400 with a message', () => {
  const ROW_10: [string, Record<string, string>][] = [
    ['count_over_time({job="web"}[1.5ms])', { step: '60' }],
    ['count_over_time({job="web"}[5m] offset 1.5ms)', { step: '60' }],
    [`count_over_time({job="web"}[${'9'.repeat(400)}s])`, { step: '60' }],
    ['count_over_time({job="web"}[5m])', { step: '9'.repeat(400) }],
    ['{job="web"} | hasOwnProperty > 0.8', {}],
    ['sum_over_time({job="web"} | unwrap constructor [5m])', { step: '60' }],
  ];

  it.each(ROW_10)('%s', async (query, extra) => {
    const res = await queryRange(query, extra);
    expect(res.status, res.text).toBeLessThan(500);
    if (res.status !== 200) {
      expect(res.status).toBe(400);
      expect(res.text.length).toBeGreaterThan(10);
    }
  });

  it('refuses a fractional-millisecond range and a 400-digit one with 400', async () => {
    for (const range of ['1.5ms', `${'9'.repeat(400)}s`]) {
      const res = await queryRange(`count_over_time({job="web"}[${range}])`, { step: '60' });
      expect(res.status).toBe(400);
      expect(res.text).toMatch(/bad duration/);
    }
    const step = await queryRange('count_over_time({job="web"}[5m])', { step: '9'.repeat(400) });
    expect(step.status).toBe(400);
    expect(step.text).toMatch(/invalid step/);
  });

  it('`| json` over a line nested 5,000 deep answers 200, and other lines of its range still parse', async () => {
    const res = await queryRange('{job="web"} | json', { limit: '5000' });
    expect(res.status).toBe(200);
    const metric = await queryRange('count_over_time({job="web"} | json | __error__="" [1h])', { step: '3600' });
    expect(metric.status).toBe(200);
    // Unfiltered parser errors in a metric query are Loki's 400 "pipeline error", not a 500.
    const unfiltered = await queryRange('count_over_time({job="web"} | json [1h])', { step: '3600' });
    expect(unfiltered.status).toBe(400);
    expect(unfiltered.text).toMatch(/pipeline error/);
  });

  it('label/__proto__/values is an empty list, not [{}]', async () => {
    for (const name of ['__proto__', 'constructor', 'hasOwnProperty']) {
      const res = await get(`/loki/api/v1/label/${name}/values`, RANGE);
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text)).toEqual({ status: 'success', data: [] });
    }
  });

  it('a multipart upload without boundary= is a 400', async () => {
    const res = await fetch(`${server.url}/api/v1/uploads`, {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data' },
      body: 'x',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/multipart/);
  });

  it('fuzz: 400 seeded mutations of valid queries give no 5xx', async () => {
    const VALID = [
      '{job="web"}',
      '{job="web"} |= "GET" != "health" |~ "(?i)post|put" !~ "bot"',
      '{job="web", filename=~".*access.*"} | anomaly_score > 0.5',
      '{job="web"} | json | status >= 500 or anomaly_severity=~"high|critical"',
      '{job="web"} | logfmt | drop filename',
      'count_over_time({job="web"}[5m])',
      'sum by (anomaly_severity) (count_over_time({job="web"} | anomaly_severity=~"high|critical" [5m]))',
      'rate({job="web"} |= "GET" [1m] offset 5m)',
      'topk(3, sum by (filename) (bytes_over_time({job="web"}[10m])))',
      'quantile_over_time(0.99, {job="web"} | unwrap anomaly_score [5m])',
      'sum(rate({job="web"}[5m])) / sum(rate({job="web"}[1h]))',
      'vector(1)+vector(1)',
    ];
    const PIECES = [
      '{',
      '}',
      '(',
      ')',
      '[',
      ']',
      '"',
      '`',
      '|',
      '~',
      '=',
      '!',
      ',',
      ' ',
      '\\',
      '.',
      '*',
      '+',
      '?',
      '0',
      '1.5ms',
      '9'.repeat(30),
      '__proto__',
      'hasOwnProperty',
      '(a+)+$',
      'by',
      'without',
      'offset',
      'unwrap',
      '|~ "',
      '[',
      '-',
      'e',
      'NaN',
      'Infinity',
      '\u0000',
      '\u{1F600}',
      '$',
      '^',
      '(?i)',
      '{}',
      '[0s]',
      '[-1m]',
      ' or ',
      ' and ',
      '>',
      '<=',
      '1e309',
    ];
    const random = mulberry32(18);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
    const fivehundreds: string[] = [];
    for (let i = 0; i < 400; i++) {
      let q = pick(VALID);
      for (let edits = 1 + Math.floor(random() * 3); edits > 0; edits--) {
        const at = Math.floor(random() * (q.length + 1));
        const op = random();
        if (op < 0.4) q = q.slice(0, at) + pick(PIECES) + q.slice(at);
        else if (op < 0.7) q = q.slice(0, at) + q.slice(at + 1 + Math.floor(random() * 4));
        else q = q.slice(0, at) + pick(PIECES) + q.slice(at + 1);
      }
      const instant = random() < 0.2;
      const res = instant
        ? await get('/loki/api/v1/query', { query: q, time: RANGE.end })
        : await queryRange(q, { step: pick(['60', '15s', '1.5', '0.001', '1e3', '-5', 'x']) });
      if (res.status >= 500) fivehundreds.push(`${res.status} ${q} -> ${res.text.slice(0, 200)}`);
      if (res.status === 400) expect(JSON.parse(res.text).error ?? res.text, q).toBeTruthy();
    }
    expect(fivehundreds).toEqual([]);
  }, 120_000);
});
