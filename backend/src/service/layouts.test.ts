/**
 * An IIS log, a JSON access log and a Zeek http.log read by the service's Loki API, over real HTTP and real files: each
 * stream learns its own model after a warm-up, reads its lines as web traffic (the W3C and Zeek streams by their
 * directives), and the Loki API serves a SQL injection planted after the warm-up as an anomaly with its reason.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../api/server.js';
import { testContext, trafficLines, type TestContext } from '../../testkit/app.js';
import { until } from '../../testkit/until.js';
import { queryRange, type LokiStream } from '../../testkit/loki-query.js';
import { createParser } from '../parsing/index.js';

const T0 = Date.UTC(2026, 0, 1);
const NS = (ms: number) => `${BigInt(ms) * 1_000_000n}`;
const FIELDS =
  '#Fields: date time cs-method cs-uri-stem cs-uri-query c-ip cs(User-Agent) sc-status sc-bytes time-taken';
const ZEEK_FIELDS =
  '#fields\tts\tuid\tid.orig_h\tid.orig_p\tmethod\thost\turi\tuser_agent\tresponse_body_len\tstatus_code';
const SQLI = "/search?q=1'%20UNION%20SELECT%20username,password%20FROM%20users--";

/** Generated traffic, and a planted request from one client, written as IIS or nginx JSON would write them. */
function requests(n: number, seed: number, at: number): { time: number; f: Record<string, string> }[] {
  const apache = createParser('apache');
  return trafficLines({ lines: n, seed, start: at }).map((line) => {
    const p = apache.parse(line);
    return { time: p.ts!, f: p.fields };
  });
}
const planted = (time: number) => ({
  time,
  f: {
    ip: '10.9.9.9',
    method: 'GET',
    path: '/search',
    query: SQLI.split('?')[1],
    status: '200',
    bytes: '512',
    ua: 'Mozilla/5.0 (X11; Linux x86_64)',
    rt: '0.020',
  },
});
const w3c = ({ time, f }: { time: number; f: Record<string, string> }) => {
  const [date, clock] = new Date(time).toISOString().slice(0, 19).split('T');
  const ms = Math.round(Number(f.rt ?? '0.01') * 1000);
  return `${date} ${clock} ${f.method} ${f.path} ${f.query || '-'} ${f.ip} ${f.ua.replaceAll(' ', '+')} ${f.status} ${f.bytes} ${ms}`;
};
const json = ({ time, f }: { time: number; f: Record<string, string> }) =>
  JSON.stringify({
    time_iso8601: new Date(time).toISOString(),
    remote_addr: f.ip,
    request: `${f.method} ${f.query ? `${f.path}?${f.query}` : f.path} HTTP/1.1`,
    status: Number(f.status),
    body_bytes_sent: Number(f.bytes),
    http_user_agent: f.ua,
    request_time: Number(f.rt ?? '0.01'),
  });

const zeek = ({ time, f }: { time: number; f: Record<string, string> }) =>
  [
    (time / 1000).toFixed(6),
    'CzEeK1',
    f.ip,
    '51234',
    f.method,
    'shop.example',
    f.query ? `${f.path}?${f.query}` : f.path,
    f.ua,
    f.bytes,
    f.status,
  ].join('\t');

let tc: TestContext;
let server: RunningServer;

beforeAll(async () => {
  tc = await testContext(
    {},
    {
      defaults: { detector: 'ensemble', model: 'web' },
      sources: {
        file: [
          { path: 'logs/iis*.log', labels: { job: 'iis' } },
          { path: 'logs/edge*.log', labels: { job: 'edge' } },
          { path: 'logs/zeek*.log', labels: { job: 'zeek' } },
        ],
      },
      streams: [
        { selector: '{job="iis"}', model: 'iis' },
        { selector: '{job="edge"}', model: 'edge' },
        { selector: '{job="zeek"}', model: 'zeek' },
      ],
      learning: { warmupLines: 600, interval: 100 },
    },
  );
  mkdirSync(join(tc.dir, 'logs'));
  const warmup = requests(800, 5, T0);
  writeFileSync(
    join(tc.dir, 'logs', 'iis.log'),
    `#Software: Microsoft Internet Information Services 10.0\n${FIELDS}\n${warmup.map(w3c).join('\n')}\n`,
  );
  writeFileSync(join(tc.dir, 'logs', 'edge.log'), `${warmup.map(json).join('\n')}\n`);
  writeFileSync(
    join(tc.dir, 'logs', 'zeek.log'),
    `#separator \\x09\n#path\thttp\n${ZEEK_FIELDS}\n${warmup.map(zeek).join('\n')}\n`,
  );
  server = await startServer(tc.ctx, { port: 0, host: '127.0.0.1' });
}, 120_000);
afterAll(async () => {
  await server?.close();
  await tc?.cleanup();
});

async function query(q: string): Promise<LokiStream[]> {
  const { status, streams } = await queryRange(server.url, {
    query: q,
    limit: '5000',
    start: NS(T0),
    end: NS(T0 + 86_400_000),
  });
  expect(status).toBe(200);
  return streams;
}

describe('access logs in other layouts, read by the service', () => {
  it.each([
    ['iis', 'w3c', 'iis.log', w3c],
    ['edge', 'json-access', 'edge.log', json],
    ['zeek', 'zeek-http', 'zeek.log', zeek],
  ] as const)(
    '%s: learns a %s model, scores its lines as web traffic, serves a planted SQL injection',
    async (job, format, file, write) => {
      // A query reads the stream, and its warm-up lines train the stream's model.
      await until(
        `the ${job} model`,
        async () => (await query(`{job="${job}"}`)) && tc.ctx.models.get(`auto-${job}`) !== undefined,
      );
      const model = tc.ctx.models.get(`auto-${job}`)!;
      expect(model.format).toBe(format);
      expect(model.featureSchema.family).toBe('web');
      if (format !== 'json-access') expect(model.parserState.header).toBe(format === 'w3c' ? FIELDS : ZEEK_FIELDS);
      const after = T0 + 3_600_000;
      appendFileSync(
        join(tc.dir, 'logs', file),
        `${[...requests(50, 9, after), planted(after + 60_000)].map(write).join('\n')}\n`,
      );
      let found: LokiStream | undefined;
      await until(`the planted line of ${job}`, async () => {
        found = (await query(`{job="${job}"}`)).find((s) => s.values.some(([, line]) => line.includes('UNION')));
        return found !== undefined;
      });
      expect(found!.stream.anomaly_severity).toMatch(/^(high|critical)$/);
      expect(found!.stream.anomaly_reason).toMatch(/^SQL injection/);
      expect(found!.stream.anomaly_template).toBe('GET /search');
    },
    120_000,
  );
});
