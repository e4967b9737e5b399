import type { Metrics } from '../metrics.js';
import { redactSecrets, safeUrl } from './redact.js';
import type { LabelMatcher } from '../logql/selector.js';
import { streamKey, type Labels } from '../stream.js';
import type { LineFilter } from '../logql/line-filter.js';
import type { ReadQuery, Source, SourceEntry } from './types.js';

export interface LokiSourceConfig {
  url: string;
  tenant?: string;
  bearer?: string;
  /** `user:password` */
  basicAuth?: string;
}

/** The headers that authenticate a request to Loki: tenant, then a bearer token or basic auth. */
export function lokiAuthHeaders(auth: Omit<LokiSourceConfig, 'url'>): Record<string, string> {
  const headers: Record<string, string> = {};
  if (auth.tenant) headers['X-Scope-OrgID'] = auth.tenant;
  if (auth.bearer) headers.Authorization = `Bearer ${auth.bearer}`;
  else if (auth.basicAuth) headers.Authorization = `Basic ${Buffer.from(auth.basicAuth).toString('base64')}`;
  return headers;
}

/** Upstream Loki failed or refused; `status` is what our API answers (400 for a refused query, else 502). */
export class SourceError extends Error {
  override name = 'SourceError';
  constructor(
    message: string,
    readonly status: 400 | 502,
  ) {
    super(message);
  }
}

export interface LokiSource extends Source {
  /** GET a Loki API path with query parameters; the parsed JSON body, or a SourceError. */
  get(path: string, params: Record<string, string>): Promise<unknown>;
}

interface StreamsResponse {
  data?: { result?: { stream?: Labels; values?: [string, string, unknown?][] }[] };
}

const TIMEOUT_MS = 30_000;

export function createLokiSource(
  config: LokiSourceConfig,
  deps: { metrics?: Metrics; pageSize?: number } = {},
): LokiSource {
  // `http://user:password@host` works as basic auth (fetch refuses credentials in a URL), and is never shown.
  const { url: base, basicAuth } = splitCredentials(config.url.replace(/\/+$/, ''));
  const shown = safeUrl(base);
  const headers = lokiAuthHeaders({ ...config, basicAuth: config.basicAuth ?? basicAuth });
  const pageSize = deps.pageSize ?? 5_000;

  function fail(message: string, status: 400 | 502 = 502): never {
    deps.metrics?.sourceErrors.inc({ source: 'loki' });
    throw new SourceError(message, status);
  }

  async function get(path: string, params: Record<string, string>): Promise<unknown> {
    const url = `${base}${path}?${new URLSearchParams(params)}`;
    let res: Response;
    try {
      res = await fetch(url, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      fail(`upstream Loki at ${shown} is unreachable (${redactSecrets(String(cause))})`);
    }
    const body = await res.text();
    if (!res.ok) {
      const detail = body.trim().slice(0, 300) || res.statusText;
      fail(`upstream Loki answered ${res.status}: ${redactSecrets(detail)}`, res.status === 400 ? 400 : 502);
    }
    try {
      return JSON.parse(body) as unknown;
    } catch {
      fail(`upstream Loki sent a body that is not JSON from ${path}`);
    }
  }

  async function streams(selector?: LabelMatcher[]): Promise<Labels[]> {
    const matches = selector?.length
      ? [formatSelector(selector)]
      : (((await get('/loki/api/v1/labels', {})) as { data?: string[] }).data ?? []).map((name) => `{${name}=~".+"}`);
    const found = new Map<string, Labels>();
    for (const match of matches) {
      const res = (await get('/loki/api/v1/series', { 'match[]': match })) as { data?: Labels[] };
      for (const labels of res.data ?? []) found.set(streamKey(labels), labels);
    }
    return [...found.values()];
  }

  /**
   * Pages through query_range past Loki's per-query limit: each page starts (forward) or ends (backward) at the last
   * timestamp seen, and lines at that boundary nanosecond already returned are skipped.
   */
  async function* read(q: ReadQuery): AsyncIterable<SourceEntry> {
    const direction = q.direction ?? 'forward';
    const query = formatSelector(q.selector) + formatLineFilters(q.lineFilters);
    let [start, end] = [q.start, q.end];
    let remaining = q.limit ?? Infinity;
    let boundary: bigint | undefined;
    let seen = new Set<string>();
    let size = pageSize;
    while (remaining > 0 && start < end) {
      const limit = Math.min(size, remaining + seen.size);
      const res = (await get('/loki/api/v1/query_range', {
        query,
        start: start.toString(),
        end: end.toString(),
        limit: String(limit),
        direction,
      })) as StreamsResponse;
      let page: SourceEntry[];
      try {
        page = entriesOf(res);
      } catch {
        fail('upstream Loki sent a malformed streams result');
      }
      page.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
      if (direction === 'backward') page.reverse();
      let fresh = 0;
      for (const e of page) {
        if (e.ts === boundary && seen.has(entryKey(e))) continue;
        fresh++;
        yield e;
        if (--remaining <= 0) return;
      }
      if (page.length < limit) return;
      const last = page[page.length - 1].ts;
      if (last !== boundary) [boundary, seen] = [last, new Set()];
      for (const e of page) if (e.ts === last) seen.add(entryKey(e));
      if (fresh === 0) size *= 2; // a whole page at one nanosecond: widen the page to get past it
      if (direction === 'forward') start = last;
      else end = last + 1n;
    }
  }

  return { name: 'loki', get, streams, read };
}

/** The URL without `user:password@`, and those as `user:password`. */
export function splitCredentials(url: string): { url: string; basicAuth?: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url };
  }
  if (!parsed.username && !parsed.password) return { url };
  const basicAuth = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.toString().replace(/\/+$/, ''), basicAuth };
}

function entriesOf(res: StreamsResponse): SourceEntry[] {
  const out: SourceEntry[] = [];
  for (const stream of res.data?.result ?? []) {
    const labels = stream.stream ?? {};
    for (const [ts, line] of stream.values ?? []) out.push({ labels, ts: BigInt(ts), line });
  }
  return out;
}

const entryKey = (e: SourceEntry) => `${streamKey(e.labels)}\u0000${e.line}`;

export function formatSelector(selector: readonly LabelMatcher[]): string {
  return `{${selector.map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`).join(', ')}}`;
}

export function formatLineFilters(filters: readonly LineFilter[]): string {
  return filters.map((f) => ` ${f.op} ${f.values.map((v) => JSON.stringify(v)).join(' or ')}`).join('');
}
