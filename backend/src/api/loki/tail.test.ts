import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ANOMALY_FIELDS, MONTHS } from '@anomalog/contract';
import { parseLokiResponse } from '../../../testkit/grafana-parser.js';
import { testContext, trafficLines, trainWebModel, type TestContext } from '../../../testkit/app.js';
import { startServer, type RunningServer } from '../server.js';
import { LiveTail, type TailMessage } from './tail.js';

const TOKEN = 'tail-token';
let t: TestContext;
let server: RunningServer;
let log: string;
const clients: WebSocket[] = [];
afterEach(() => {
  for (const socket of clients.splice(0)) socket.terminate();
});

beforeAll(async () => {
  t = await testContext(
    { web: await trainWebModel() },
    { server: { token: TOKEN, limits: { tailConnections: 2, maxLines: 20 } } },
  );
  mkdirSync(join(t.dir, 'logs'));
  log = join(t.dir, 'logs', 'access.log');
  writeFileSync(log, `${lines(20, 1, Date.now() - 60_000).join('\n')}\n`);
  server = await startServer(t.ctx, { port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await server?.close();
  await t?.cleanup();
});

/** Generated shop traffic from `start`, ending in a path traversal by a scanner (an anomaly for sure). */
function lines(n: number, seed: number, start = Date.now()) {
  const d = new Date(start);
  const two = (v: number) => String(v).padStart(2, '0');
  const time = `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
  const attack = `203.0.113.${seed} - - [${time}] "GET /cgi-bin/../../../../etc/passwd HTTP/1.1" 500 0 "-" "sqlmap/1.7.2#stable (https://sqlmap.org)" rt=4.900`;
  return [...trafficLines({ lines: n, seed, start }), attack];
}

const wsUrl = (params: Record<string, string>, prefix = '') =>
  `${server.url.replace('http', 'ws')}${prefix}/loki/api/v1/tail?${new URLSearchParams(params)}`;

/** A real websocket client: the messages it got, and a wait for the first that satisfies a test. */
async function connect(params: Record<string, string>, headers: Record<string, string> = {}, prefix = '') {
  const socket = new WebSocket(wsUrl(params, prefix), { headers: { authorization: `Bearer ${TOKEN}`, ...headers } });
  clients.push(socket);
  const messages: TailMessage[] = [];
  const waiters: (() => void)[] = [];
  socket.on('message', (data) => {
    messages.push(JSON.parse(String(data)) as TailMessage);
    for (const w of waiters.splice(0)) w();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const until = (test: (m: TailMessage[]) => boolean, ms: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no such message within ${ms} ms`)), ms);
      const check = () => {
        if (test(messages)) {
          clearTimeout(timer);
          resolve();
        } else waiters.push(check);
      };
      check();
    });
  return { socket, messages, until };
}

/** The HTTP status a refused upgrade answered with. */
function refused(params: Record<string, string>, headers: Record<string, string> = {}, prefix = '') {
  return new Promise<number>((resolve, reject) => {
    const socket = new WebSocket(wsUrl(params, prefix), { headers });
    socket.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('open', () => reject(new Error('the upgrade was accepted')));
    socket.once('error', () => undefined);
  });
}

/** Waits until the server has seen every earlier tail close. */
const settled = () =>
  new Promise<void>((resolve) => {
    const check = () => (LiveTail.openOn(t.ctx).length === 0 ? resolve() : setTimeout(check, 20));
    check();
  });

const sentLines = (messages: TailMessage[]) =>
  messages.flatMap((m) => m.streams.flatMap((s) => s.values)) as [string, string, unknown?][];

describe('GET /loki/api/v1/tail (websocket)', () => {
  it('sends the backlog, then new lines with their anomaly fields within 2 s of their being written', async () => {
    const tail = await connect({ query: '{job="web"}', limit: '5' });
    await tail.until((m) => m.length >= 1, 5_000);
    expect(sentLines(tail.messages)).toHaveLength(5); // the newest `limit` of the hour before
    expect(tail.messages[0].dropped_entries).toBeNull();

    const fresh = lines(12, 2);
    const written = Date.now();
    appendFileSync(log, `${fresh.join('\n')}\n`);
    const all = (m: TailMessage[]) => fresh.every((line) => sentLines(m).some(([, l]) => l === line));
    await tail.until(all, 2_000);
    expect(Date.now() - written).toBeLessThan(2_000);

    // Loki's shape, read as Grafana reads query_range streams: every line once, labelled with the anomaly fields.
    const streams = tail.messages.flatMap((m) => m.streams);
    const parsed = parseLokiResponse(
      JSON.stringify({ status: 'success', data: { resultType: 'streams', result: streams } }),
    );
    if (parsed.kind !== 'streams') throw new Error(parsed.kind);
    const rows = parsed.rows.filter((r) => fresh.includes(r.line));
    expect(rows).toHaveLength(fresh.length);
    for (const row of rows) {
      expect(row.labels).toMatchObject({ job: 'web', service_name: 'web' });
      for (const field of [ANOMALY_FIELDS.score, ANOMALY_FIELDS.severity, ANOMALY_FIELDS.detector])
        expect(row.labels[field]).toBeDefined();
    }
    expect(rows.some((r) => r.labels[ANOMALY_FIELDS.severity] !== 'normal')).toBe(true);
    tail.socket.close();
  });

  it('writes the anomaly fields as structured metadata with categorize-labels, and applies the query', async () => {
    const tail = await connect(
      { query: '{job="web"} | anomaly_severity != "normal"', limit: '1' },
      { 'X-Loki-Response-Encoding-Flags': 'categorize-labels' },
    );
    const fresh = lines(12, 3);
    appendFileSync(log, `${fresh.join('\n')}\n`);
    const attack = fresh[fresh.length - 1];
    await tail.until((m) => sentLines(m).some(([, line]) => line === attack), 2_000);
    for (const [, , meta] of sentLines(tail.messages)) {
      expect(
        (meta as { structuredMetadata: Record<string, string> }).structuredMetadata[ANOMALY_FIELDS.severity],
      ).not.toBe('normal');
    }
    tail.socket.close();
  });

  it('sends at most server.limits.maxLines lines a message and lists the rest in dropped_entries', async () => {
    const tail = await connect({ query: '{job="web"}', limit: '1' });
    await tail.until((m) => m.length >= 1, 5_000);
    // Lines earlier tests wrote may still come in (the watcher scores them for the index): counted out.
    await new Promise((r) => setTimeout(r, 1_500));
    const from = tail.messages.length;
    // 60 lines at once, all stamped with this second. A poll reads a row only once the clock has passed its time:
    // stamped over the next 3 s, as generated, they came in 20 or fewer a poll (a fresh-clone CI run failed so). The
    // watcher may catch the write half done and score it in two reads, so one poll still takes at least 30 of them,
    // over the 20 a message holds (35 lines came as 17 + 18, 1 run in 5 on a loaded machine).
    const generated = lines(59, 4);
    const second = /\[[^\]]+\]/.exec(generated[generated.length - 1])![0];
    const burst = generated.map((line) => line.replace(/\[[^\]]+\]/, second));
    appendFileSync(log, `${burst.join('\n')}\n`);
    await tail.until((m) => m.slice(from).some((x) => x.dropped_entries !== null), 5_000);
    await new Promise((r) => setTimeout(r, 1_500)); // lines the scorer held back come in a later poll
    const later = tail.messages.slice(from);
    for (const m of later) expect(sentLines([m]).length).toBeLessThanOrEqual(20);
    // A message that lists dropped entries is full: the newest 20 rows of its poll are sent, the older ones listed.
    for (const m of later.filter((x) => x.dropped_entries !== null)) expect(sentLines([m])).toHaveLength(20);
    const sent = sentLines(later).filter(([, l]) => burst.includes(l));
    const dropped = later.flatMap((m) => m.dropped_entries ?? []);
    expect(new Set(sent.map(([, l]) => l)).size).toBe(sent.length); // none twice
    expect(dropped.length).toBeGreaterThan(0);
    expect(sent.length + dropped.length).toBeLessThanOrEqual(burst.length); // a line is sent or listed, not both
    expect(dropped[0]).toEqual({
      labels: expect.objectContaining({ job: 'web' }),
      timestamp: expect.stringMatching(/^\d+$/),
    });
    tail.socket.close();
  });

  it('tails one detector under /detectors/<detector>', async () => {
    const tail = await connect({ query: '{job="web"}', limit: '3' }, {}, '/detectors/iforest');
    await tail.until((m) => m.length >= 1, 5_000);
    for (const s of tail.messages[0].streams) expect(s.stream.anomaly_detector).toMatch(/iforest/);
    tail.socket.close();
  });

  it('stops polling when the client goes away', async () => {
    await settled();
    const tail = await connect({ query: '{job="web"}', start: String(Date.now() * 1e6) });
    expect(LiveTail.openOn(t.ctx)).toHaveLength(1);
    tail.socket.terminate(); // no close frame: a client that vanished
    await settled();
  });

  it('answers 401 without the token, 400 for a bad query or delay_for, 429 past server.limits.tailConnections', async () => {
    await settled();
    const q = { query: '{job="web"}' };
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect(await refused(q)).toBe(401);
    expect(await refused(q, auth, '/detectors/nope')).toBe(404);
    expect(await refused(q, auth, '/detectors/autoencoder')).toBe(400); // a detector the model does not hold
    expect(await refused({ query: '{job=' }, auth)).toBe(400);
    expect(await refused({ ...q, delay_for: '6' }, auth)).toBe(400);
    expect(await refused({ ...q, start: '0' }, auth)).toBe(400); // a backlog further back than queryHours
    expect(await refused({ query: 'count_over_time({job="web"}[1m])' }, auth)).toBe(400);
    // Grafana's backend probes v2alpha first and takes v1 unless it answers 400.
    expect((await fetch(`${server.url}/loki/api/v2alpha/tail`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${server.url}/loki/api/v1/tail?query=%7Bjob%3D%22web%22%7D`, { headers: auth })).status).toBe(
      400,
    );

    const open = [await connect(q), await connect(q)];
    expect(await refused(q, auth)).toBe(429);
    open[0].socket.close();
    await new Promise<void>((resolve) => {
      const check = () => (LiveTail.openOn(t.ctx).length < 2 ? resolve() : setTimeout(check, 20));
      check();
    });
    const again = await connect(q);
    for (const tail of [open[1], again]) tail.socket.close();
  });

  it('tails connecting together cannot pass server.limits.tailConnections while their backlogs run', async () => {
    await settled();
    const q = { query: '{job="web"}' };
    const tries = await Promise.allSettled([connect(q), connect(q), connect(q), connect(q)]);
    const opened = tries.filter((r) => r.status === 'fulfilled');
    expect(opened).toHaveLength(2);
    expect(LiveTail.openOn(t.ctx)).toHaveLength(2);
    for (const r of opened) r.value.socket.close();
  });
});
