import type { Context } from 'hono';

/** A request the Loki API refuses with 400 (the message says why). */
export class BadRequest extends Error {
  override name = 'BadRequest';
}

const MAX_QUERY_CHARS = 64 * 1024;
const MAX_POINTS = 11_000;
const NS_PER_S = 1_000_000_000n;
export const HOUR_NS = 3_600n * NS_PER_S;

/** Query-string parameters merged with a form-encoded POST body (Grafana may POST query_range and series). */
export async function requestParams(c: Context): Promise<URLSearchParams> {
  const params = new URL(c.req.url).searchParams;
  const type = c.req.header('content-type') ?? '';
  if (c.req.method === 'POST' && type.startsWith('application/x-www-form-urlencoded')) {
    for (const [k, v] of new URLSearchParams(await c.req.text())) params.append(k, v);
  }
  return params;
}

export const nowNs = (): bigint => BigInt(Date.now()) * 1_000_000n;

/** As Loki's parseTimestamp: fractional seconds, integer seconds (up to 10 digits), nanoseconds, or RFC3339. */
export function parseTime(value: string | null, fallback: bigint, name: string): bigint {
  if (value === null || value === '') return fallback;
  if (/^\d+$/.test(value)) return value.length <= 10 ? BigInt(value) * NS_PER_S : BigInt(value);
  if (/^\d+\.\d+$/.test(value)) {
    const [s, frac] = value.split('.');
    return BigInt(s) * NS_PER_S + BigInt(frac.slice(0, 9).padEnd(9, '0'));
  }
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new BadRequest(`invalid ${name} "${value}": use nanoseconds, seconds or RFC3339`);
  return BigInt(ms) * 1_000_000n;
}

/** A step like "15s", "1m", "500ms", or seconds ("15", "0.5"); the default is Loki's: range / 250, at least 1s. */
export function parseStep(value: string | null, start: bigint, end: bigint): bigint {
  if (!value) {
    const auto = (end - start + 249n * NS_PER_S) / (250n * NS_PER_S);
    return (auto > 1n ? auto : 1n) * NS_PER_S;
  }
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value.trim());
  const unitNs = { ms: 1e6, s: 1e9, m: 6e10, h: 3.6e12, d: 8.64e13 }[(m?.[2] ?? 's') as 'ms' | 's' | 'm' | 'h' | 'd'];
  const scaled = m ? Math.round(Number(m[1]) * unitNs) : 0;
  if (!Number.isSafeInteger(scaled))
    throw new BadRequest(`invalid step "${value.slice(0, 40)}": too large, use a duration like 15s`);
  const ns = BigInt(scaled);
  if (ns <= 0n)
    throw new BadRequest(
      `invalid step "${value}": zero or negative query resolution step widths are not accepted, use a duration like 15s`,
    );
  return ns;
}

export interface LogParams {
  query: string;
  start: bigint;
  end: bigint;
  limit: number;
  direction: 'forward' | 'backward';
}

export interface Limits {
  queryHours: number;
  maxLines: number;
}

export function queryText(params: URLSearchParams): string {
  const query = params.get('query');
  if (!query || !query.trim()) throw new BadRequest('missing query: pass a LogQL query as `query`');
  if (query.length > MAX_QUERY_CHARS) throw new BadRequest(`the query is longer than ${MAX_QUERY_CHARS} characters`);
  return query;
}

/** query_range parameters, with the configured limits on range and line count. */
export function rangeParams(params: URLSearchParams, limits: Limits): LogParams & { step: bigint } {
  const end = parseTime(params.get('end'), nowNs(), 'end');
  const start = parseTime(params.get('start'), end - HOUR_NS, 'start');
  if (end < start) throw new BadRequest('invalid time range: end is before start');
  checkRange(start, end, limits);
  const step = parseStep(params.get('step'), start, end);
  if ((end - start) / step > BigInt(MAX_POINTS)) {
    throw new BadRequest(
      `exceeded maximum resolution of ${MAX_POINTS} points per timeseries. Try increasing the value of the step parameter`,
    );
  }
  return { query: queryText(params), start, end, step, limit: limitOf(params, limits), direction: directionOf(params) };
}

/** Instant query parameters (`time`). */
export function instantParams(
  params: URLSearchParams,
  limits: Limits,
): { query: string; time: bigint; limit: number; direction: 'forward' | 'backward' } {
  return {
    query: queryText(params),
    time: parseTime(params.get('time'), nowNs(), 'time'),
    limit: limitOf(params, limits),
    direction: directionOf(params),
  };
}

/** start/end of a metadata request (labels, series, stats), default the last hour. */
export function windowParams(params: URLSearchParams, limits: Limits): { start: bigint; end: bigint } {
  const end = parseTime(params.get('end'), nowNs(), 'end');
  const start = parseTime(params.get('start'), end - HOUR_NS, 'start');
  if (end < start) throw new BadRequest('invalid time range: end is before start');
  checkRange(start, end, limits);
  return { start, end };
}

export function checkRange(start: bigint, end: bigint, limits: Limits) {
  const hours = Number(end - start) / 3.6e12;
  if (hours > limits.queryHours) {
    throw new BadRequest(
      `the query time range exceeds the limit (query length: ${hours.toFixed(1)}h, limit: ${limits.queryHours}h)`,
    );
  }
}

export function limitOf(params: URLSearchParams, limits: Limits): number {
  const raw = params.get('limit');
  if (raw === null || raw === '') return Math.min(100, limits.maxLines);
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit <= 0)
    throw new BadRequest(`invalid limit "${raw}": use a positive whole number`);
  return limit;
}

/**
 * Loki checks `max_entries_limit_per_query` on log queries only (`pkg/querier/http.go`, validateMaxEntriesLimits is
 * skipped for metric queries): Grafana sends its "Maximum lines" as `limit` on every query, metric ones included.
 */
export function checkLogLimit(limit: number, limits: Limits): void {
  if (limit > limits.maxLines)
    throw new BadRequest(
      `max entries limit per query exceeded, limit > max_entries_limit (${limit} > ${limits.maxLines})`,
    );
}

function directionOf(params: URLSearchParams): 'forward' | 'backward' {
  const raw = (params.get('direction') ?? 'backward').toLowerCase();
  if (raw !== 'forward' && raw !== 'backward')
    throw new BadRequest(`invalid direction "${raw}": use forward or backward`);
  return raw;
}
