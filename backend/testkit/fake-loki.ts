/**
 * A protocol-faithful fake Loki on a real loopback HTTP server: the one allowed fake (no Loki binary can run here).
 * It speaks the JSON push API and answers log queries with Loki's own shapes and semantics: `start` inclusive,
 * `end` exclusive, nanosecond timestamps as strings, `limit` over all streams in `direction` order (so clients can
 * paginate), structured metadata categorized on `X-Loki-Response-Encoding-Flags: categorize-labels` and merged
 * into the stream labels otherwise. `setDown(true)` makes every endpoint answer 503, as an unavailable Loki does.
 * Its query language is deliberately minimal and independent of src/logql: a stream selector, line filters, and
 * `count_over_time(<that> [range])` optionally wrapped in `sum(...)`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { streamKey, type Labels } from '../src/stream.js';
export interface FakeEntry {
  ts: bigint;
  line: string;
  metadata: Labels;
}
export interface FakeStream {
  labels: Labels;
  entries: FakeEntry[];
}
export interface PushBody {
  streams: { stream: Labels; values: [string, string, Labels?][] }[];
}
export interface RecordedRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  headers: Record<string, string>;
}

export interface FakeLoki {
  url: string;
  /** Every accepted push body, in arrival order. */
  pushes: PushBody[];
  /** Everything stored, keyed by the canonical label string `{a="1", b="2"}`. */
  streams: Map<string, FakeStream>;
  /** Every request received (including refused ones), for asserting headers and pushed-down queries. */
  requests: RecordedRequest[];
  /** Store lines directly, as if a client had pushed them. */
  ingest(labels: Labels, entries: { ts: bigint | number; line: string; metadata?: Labels }[]): void;
  setDown(down: boolean): void;
  close(): Promise<void>;
}

type Matcher = { name: string; op: '=' | '!=' | '=~' | '!~'; value: string; re?: RegExp };
type LineFilter = { op: '|=' | '!=' | '|~' | '!~'; value: string; re?: RegExp };
interface LogSelector {
  matchers: Matcher[];
  filters: LineFilter[];
}

const API = '/loki/api/v1';

export async function startFakeLoki(): Promise<FakeLoki> {
  const streams = new Map<string, FakeStream>();
  const pushes: PushBody[] = [];
  const requests: RecordedRequest[] = [];
  const stored = new Map<string, Set<string>>();
  let down = false;

  function ingest(labels: Labels, entries: { ts: bigint | number; line: string; metadata?: Labels }[]): void {
    const key = streamKey(labels);
    let stream = streams.get(key);
    if (!stream) streams.set(key, (stream = { labels: { ...labels }, entries: [] }));
    // As Loki's ingester: an entry with the same timestamp and line as one the stream holds is a duplicate, dropped.
    let seen = stored.get(key);
    if (!seen) stored.set(key, (seen = new Set()));
    let added = false;
    for (const e of entries) {
      const id = `${BigInt(e.ts)}\u0000${e.line}`;
      if (seen.has(id)) continue;
      seen.add(id);
      added = true;
      stream.entries.push({ ts: BigInt(e.ts), line: e.line, metadata: { ...(e.metadata ?? {}) } });
    }
    if (added) stream.entries.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const body = await readBody(req);
    const params = Object.fromEntries(url.searchParams);
    if (
      req.method === 'POST' &&
      String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
    ) {
      Object.assign(params, Object.fromEntries(new URLSearchParams(body.toString('utf8'))));
    }
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    requests.push({ method: req.method ?? 'GET', path: url.pathname, params, headers });

    if (down) return text(res, 503, 'Loki is unavailable (fake outage)');
    const path = url.pathname;
    if (path === '/ready') return text(res, 200, 'ready');
    if (path === `${API}/push` && req.method === 'POST') return push(body, res);
    if (path === `${API}/query_range`) return query(params, headers, res, 'range');
    if (path === `${API}/query`) return query(params, headers, res, 'instant');
    if (path === `${API}/labels`) return json(res, 200, { status: 'success', data: labelNames() });
    const values = /^\/loki\/api\/v1\/label\/([^/]+)\/values$/.exec(path);
    if (values) return json(res, 200, { status: 'success', data: labelValues(decodeURIComponent(values[1])) });
    if (path === `${API}/series`) {
      const match = params['match[]'] ?? params.match;
      const sel = match ? parseLogSelector(match) : { matchers: [], filters: [] };
      if (typeof sel === 'string') return text(res, 400, sel);
      return json(res, 200, {
        status: 'success',
        data: [...streams.values()].filter((s) => matches(s.labels, sel.matchers)).map((s) => s.labels),
      });
    }
    return text(res, 404, '404 page not found');
  }

  function push(body: Buffer, res: ServerResponse): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return text(res, 400, 'loghttp.PushRequest: invalid JSON body');
    }
    const problem = validatePush(parsed);
    if (problem) return text(res, 400, problem);
    const pushBody = parsed as PushBody;
    pushes.push(pushBody);
    for (const s of pushBody.streams) {
      ingest(
        s.stream,
        s.values.map(([ts, line, metadata]) => ({ ts: BigInt(ts), line, metadata })),
      );
    }
    res.writeHead(204).end();
  }

  function query(
    params: Record<string, string>,
    headers: Record<string, string>,
    res: ServerResponse,
    kind: 'range' | 'instant',
  ): void {
    const q = params.query;
    if (!q) return text(res, 400, 'parse error : syntax error: unexpected $end');
    const now = BigInt(Date.now()) * 1_000_000n;
    const end = (kind === 'range' ? params.end : params.time)
      ? parseTime((kind === 'range' ? params.end : params.time)!)
      : now;
    if (end === undefined) return text(res, 400, 'invalid end time');
    const start = kind === 'range' ? (params.start ? parseTime(params.start) : end - 3_600_000_000_000n) : end;
    if (start === undefined) return text(res, 400, 'invalid start time');

    const metric = /^\s*(sum\s*\(\s*)?count_over_time\s*\(\s*(.*)\[(\d+)([smh])\]\s*\)\s*(\))?\s*$/s.exec(q);
    if (metric) {
      const sel = parseLogSelector(metric[2]);
      if (typeof sel === 'string') return text(res, 400, sel);
      const rangeNs = BigInt(metric[3]) * { s: 1n, m: 60n, h: 3600n }[metric[4] as 's' | 'm' | 'h'] * 1_000_000_000n;
      const stepNs = kind === 'range' ? parseStep(params.step, start, end) : 1n;
      return json(res, 200, countOverTime(sel, Boolean(metric[1]), rangeNs, start, end, stepNs, kind));
    }
    const sel = parseLogSelector(q);
    if (typeof sel === 'string') return text(res, 400, sel);
    const limit = params.limit ? Number(params.limit) : 100;
    if (!Number.isInteger(limit) || limit <= 0) return text(res, 400, 'invalid limit');
    const direction = params.direction === 'forward' ? 'forward' : 'backward';
    const categorize = (headers['x-loki-response-encoding-flags'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .includes('categorize-labels');
    const lo = kind === 'range' ? start : end - 3_600_000_000_000n;
    json(res, 200, logResult(sel, lo, end, limit, direction, categorize));
  }

  function selected(sel: LogSelector, start: bigint, end: bigint): { stream: FakeStream; entry: FakeEntry }[] {
    const hits: { stream: FakeStream; entry: FakeEntry }[] = [];
    for (const stream of streams.values()) {
      if (!matches(stream.labels, sel.matchers)) continue;
      for (const entry of stream.entries) {
        if (entry.ts >= start && entry.ts < end && passes(entry.line, sel.filters)) hits.push({ stream, entry });
      }
    }
    return hits;
  }

  function logResult(
    sel: LogSelector,
    start: bigint,
    end: bigint,
    limit: number,
    direction: 'forward' | 'backward',
    categorize: boolean,
  ) {
    const hits = selected(sel, start, end);
    hits.sort((a, b) => (a.entry.ts < b.entry.ts ? -1 : a.entry.ts > b.entry.ts ? 1 : 0));
    if (direction === 'backward') hits.reverse();
    const kept = hits.slice(0, limit);
    const out = new Map<string, { stream: Labels; values: unknown[] }>();
    for (const { stream, entry } of kept) {
      const labels = categorize ? stream.labels : { ...stream.labels, ...entry.metadata };
      const key = streamKey(labels);
      let group = out.get(key);
      if (!group) out.set(key, (group = { stream: labels, values: [] }));
      const hasMeta = Object.keys(entry.metadata).length > 0;
      group.values.push(
        categorize
          ? [entry.ts.toString(), entry.line, hasMeta ? { structuredMetadata: entry.metadata } : {}]
          : [entry.ts.toString(), entry.line],
      );
    }
    const data: Record<string, unknown> = { resultType: 'streams' };
    if (categorize) data.encodingFlags = ['categorize-labels'];
    data.result = [...out.values()];
    data.stats = stats(
      kept.length,
      kept.reduce((n, h) => n + h.entry.line.length, 0),
    );
    return { status: 'success', data };
  }

  function countOverTime(
    sel: LogSelector,
    summed: boolean,
    rangeNs: bigint,
    start: bigint,
    end: bigint,
    stepNs: bigint,
    kind: 'range' | 'instant',
  ) {
    const hits = selected(sel, start - rangeNs, end + 1n);
    const series = new Map<string, { metric: Labels; points: [number, string][] }>();
    for (let t = start; t <= end; t += stepNs) {
      const counts = new Map<string, { metric: Labels; n: number }>();
      for (const { stream, entry } of hits) {
        if (entry.ts <= t - rangeNs || entry.ts > t) continue;
        const metric = summed ? {} : stream.labels;
        const key = streamKey(metric);
        const c = counts.get(key) ?? { metric, n: 0 };
        c.n++;
        counts.set(key, c);
      }
      for (const [key, c] of counts) {
        const s = series.get(key) ?? { metric: c.metric, points: [] };
        s.points.push([Number(t) / 1e9, String(c.n)]);
        series.set(key, s);
      }
    }
    const all = [...series.values()];
    const data =
      kind === 'range'
        ? {
            resultType: 'matrix',
            result: all.map((s) => ({ metric: s.metric, values: s.points })),
            stats: stats(hits.length, 0),
          }
        : {
            resultType: 'vector',
            result: all.map((s) => ({ metric: s.metric, value: s.points[s.points.length - 1] })),
            stats: stats(hits.length, 0),
          };
    return { status: 'success', data };
  }

  function labelNames(): string[] {
    return [...new Set([...streams.values()].flatMap((s) => Object.keys(s.labels)))].sort();
  }
  function labelValues(name: string): string[] {
    return [
      ...new Set([...streams.values()].map((s) => s.labels[name]).filter((v): v is string => v !== undefined)),
    ].sort();
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => text(res, 500, `fake loki failure: ${String(err)}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    pushes,
    streams,
    requests,
    ingest,
    setDown: (d) => {
      down = d;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function text(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(message);
}
function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

function stats(lines: number, bytes: number) {
  return {
    summary: {
      totalLinesProcessed: lines,
      totalBytesProcessed: bytes,
      execTime: 0,
      queueTime: 0,
      totalEntriesReturned: lines,
    },
  };
}

function validatePush(body: unknown): string | undefined {
  if (!body || typeof body !== 'object' || !Array.isArray((body as PushBody).streams))
    return 'push body must be {"streams":[...]}';
  for (const s of (body as PushBody).streams) {
    if (!s || typeof s.stream !== 'object' || !s.stream || !Array.isArray(s.values))
      return 'each stream needs "stream" labels and "values"';
    if (Object.keys(s.stream).length === 0) return 'error at least one label pair is required per stream';
    for (const [k, v] of Object.entries(s.stream)) {
      if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k) || typeof v !== 'string') return `invalid label ${k}`;
    }
    for (const v of s.values) {
      if (!Array.isArray(v) || v.length < 2 || v.length > 3)
        return 'each value must be [ts, line] or [ts, line, {metadata}]';
      if (typeof v[0] !== 'string' || !/^\d+$/.test(v[0]))
        return `timestamp must be a string of nanoseconds, got ${JSON.stringify(v[0])}`;
      if (typeof v[1] !== 'string') return 'line must be a string';
      if (
        v.length === 3 &&
        (typeof v[2] !== 'object' || v[2] === null || Object.values(v[2]).some((x) => typeof x !== 'string'))
      ) {
        return 'structured metadata must be an object of strings';
      }
    }
  }
  return undefined;
}

/** As Loki's parseTimestamp: fractional seconds, integer seconds (up to 10 digits), nanoseconds, or RFC3339. */
function parseTime(s: string): bigint | undefined {
  if (/^\d+$/.test(s)) return s.length <= 10 ? BigInt(s) * 1_000_000_000n : BigInt(s);
  if (/^\d+\.\d+$/.test(s)) return BigInt(Math.round(Number(s) * 1e6)) * 1000n;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : BigInt(ms) * 1_000_000n;
}

function parseStep(step: string | undefined, start: bigint, end: bigint): bigint {
  if (step) {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(step);
    if (m) {
      const mult = { ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
      return BigInt(Math.max(1, Math.round(Number(m[1]) * mult)));
    }
  }
  const auto = (end - start) / 250n;
  return auto > 1_000_000_000n ? auto : 1_000_000_000n;
}

function matches(labels: Labels, matchers: Matcher[]): boolean {
  return matchers.every((m) => {
    const v = labels[m.name] ?? '';
    switch (m.op) {
      case '=':
        return v === m.value;
      case '!=':
        return v !== m.value;
      case '=~':
        return m.re!.test(v);
      case '!~':
        return !m.re!.test(v);
    }
  });
}

function passes(line: string, filters: LineFilter[]): boolean {
  return filters.every((f) => {
    switch (f.op) {
      case '|=':
        return line.includes(f.value);
      case '!=':
        return !line.includes(f.value);
      case '|~':
        return f.re!.test(line);
      case '!~':
        return !f.re!.test(line);
    }
  });
}

/** `{a="1", b=~"x.*"} |= "foo" != "bar"`; returns an error message in Loki's words on anything else. */
function parseLogSelector(q: string): LogSelector | string {
  const str = String.raw`"(?:[^"\\]|\\.)*"|\x60[^\x60]*\x60`;
  const sel = new RegExp(String.raw`^\s*\{([^}]*)\}`).exec(q);
  if (!sel)
    return `parse error at line 1, col 1: syntax error: unexpected ${JSON.stringify(q.slice(0, 10))}, expecting {`;
  const matchers: Matcher[] = [];
  const matcherRe = new RegExp(String.raw`\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(${str})\s*(,|$)`, 'y');
  const inner = sel[1];
  for (let pos = 0; pos < inner.length;) {
    matcherRe.lastIndex = pos;
    const m = matcherRe.exec(inner);
    if (!m) return `parse error: bad matcher in ${sel[0]}`;
    const value = unquote(m[3]);
    matchers.push({
      name: m[1],
      op: m[2] as Matcher['op'],
      value,
      re: m[2].includes('~') ? new RegExp(`^(?:${value})$`) : undefined,
    });
    pos = matcherRe.lastIndex;
  }
  if (matchers.length === 0)
    return 'parse error : queries require at least one regexp or equality matcher that does not have an empty-compatible value';
  const filters: LineFilter[] = [];
  const filterRe = new RegExp(String.raw`\s*(\|=|!=|\|~|!~)\s*(${str})`, 'y');
  let pos = sel[0].length;
  for (;;) {
    filterRe.lastIndex = pos;
    const f = filterRe.exec(q);
    if (!f) break;
    const value = unquote(f[2]);
    filters.push({ op: f[1] as LineFilter['op'], value, re: f[1].includes('~') ? new RegExp(value) : undefined });
    pos = filterRe.lastIndex;
  }
  if (q.slice(pos).trim() !== '') return `fake loki: unsupported query part ${JSON.stringify(q.slice(pos).trim())}`;
  return { matchers, filters };
}

function unquote(s: string): string {
  return s.startsWith('`') ? s.slice(1, -1) : (JSON.parse(s) as string);
}
