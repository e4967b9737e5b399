import type { ParsedLine } from '../types.js';
import { parseJson } from './json.js';
import { parseLogfmt } from './logfmt.js';
import { parseSyslog } from './syslog.js';
import { addressHost, siteLine, webLine, type WebRequest } from './web.js';

/**
 * The keys JSON and logfmt access logs write each part under, lower-cased with every character but letters and digits dropped:
 * nginx's usual `log_format ... escape=json` (`remote_addr`, `request`, `status`, `body_bytes_sent`,
 * `http_user_agent`, `request_time`), Caddy's (`request.remote_ip`, `request.method`, `request.uri`,
 * `request.headers.User-Agent`, `status`, `size`, `duration`), Traefik's (`ClientHost`, `RequestMethod`,
 * `RequestPath`, `DownstreamStatus`, `DownstreamContentSize`, `request_User-Agent`, `Duration` in nanoseconds) and
 * Elastic Common Schema's (`source.ip`, `http.request.method`, `url.original`, `http.response.status_code`,
 * `user_agent.original`), Envoy's (Istio's) JSON (`downstream_remote_address`, `method`, `path`, `response_code`,
 * `bytes_sent`, `user_agent`), Go services' and Grafana's logfmt (`method`, `path`, `status`, `remote_addr`,
 * `size`, `duration`), Heroku's router (`fwd`, the client's forwarded-for list; `bytes`; `service`, the time),
 * Zeek's http.log as JSON (`id.orig_h`, `method`, `uri`, `status_code`, `response_body_len`, `user_agent`),
 * Cloudflare's HTTP request logs (`ClientIP`, `ClientRequestMethod`, `ClientRequestURI`, `EdgeResponseStatus`,
 * `EdgeResponseBytes`, `ClientRequestUserAgent`), and
 * under an object of their own (a key not named here is read without its first part): Google Cloud's LogEntry
 * (`httpRequest.requestMethod`, `httpRequest.requestUrl`, `httpRequest.status`, `httpRequest.remoteIp`,
 * `httpRequest.userAgent`, `httpRequest.responseSize`, `httpRequest.latency` as `"0.012s"`), Azure Application
 * Gateway's (`properties.clientIP`, `properties.httpMethod`, `properties.requestUri`, `properties.requestQuery`,
 * `properties.httpStatus`, `properties.sentBytes`, `properties.timeTaken`) and Front Door's (`properties.httpStatusCode`,
 * `properties.responseBytes`).
 * A `url` is a full URL (its scheme and host go to field `host`), a `query` the query of a target logged without one.
 */
const KEYS: Record<keyof WebRequest | 'request' | 'url' | 'query', readonly string[]> = {
  ip: [
    'remoteaddr',
    'requestremoteip',
    'remoteip',
    'clienthost',
    'clientip',
    'sourceip',
    'clientaddress',
    'downstreamremoteaddress',
    'ip',
    'fwd',
    'idorigh',
  ],
  user: ['remoteuser', 'user', 'username', 'requestuser'],
  method: ['method', 'requestmethod', 'httprequestmethod', 'httpmethod', 'clientrequestmethod'],
  target: ['requesturi', 'uri', 'requestpath', 'urloriginal', 'path', 'clientrequesturi'],
  url: ['requesturl', 'urlfull'],
  query: ['requestquery', 'urlquery', 'querystring'],
  request: ['request', 'requestline'],
  protocol: [
    'serverprotocol',
    'protocol',
    'requestproto',
    'requestprotocol',
    'proto',
    'httpversion',
    'clientrequestprotocol',
  ],
  status: [
    'status',
    'statuscode',
    'downstreamstatus',
    'httpresponsestatuscode',
    'responsestatus',
    'httpstatus',
    'responsecode',
    'httpstatuscode',
    'edgeresponsestatus',
  ],
  bytes: [
    'bodybytessent',
    'bytessent',
    'size',
    'downstreamcontentsize',
    'httpresponsebodybytes',
    'responsesize',
    'bytes',
    'responsebodylen',
    'sentbytes',
    'responsebytes',
    'edgeresponsebytes',
  ],
  referer: [
    'httpreferer',
    'referer',
    'referrer',
    'requestheadersreferer',
    'requestreferer',
    'httprequestreferrer',
    'clientrequestreferer',
  ],
  ua: [
    'httpuseragent',
    'useragent',
    'requestheadersuseragent',
    'requestuseragent',
    'useragentoriginal',
    'clientrequestuseragent',
  ],
  rt: ['requesttime', 'duration', 'responsetime', 'upstreamresponsetime', 'service', 'latency', 'timetaken'],
};

type Part = keyof typeof KEYS;

/** Each key above: its part, and its rank among the part's keys (lower wins). */
const PART_OF = new Map<string, [Part, number]>(
  (Object.entries(KEYS) as [Part, readonly string[]][]).flatMap(([part, keys]) =>
    keys.map((key, rank): [string, [Part, number]] => [key, [part, rank]]),
  ),
);

/**
 * A JSON line of an access log: the web fields from the keys above, the target as the client sent it (an absolute URL
 * stays one: a proxy probe), the level from the status as in every web format. Undefined unless the line has a method
 * and target (or a request line) and an HTTP status.
 */
export function parseJsonAccess(line: string): ParsedLine | undefined {
  const p = parseJson(line);
  return p && accessLine(p, 'json-access');
}

/**
 * A logfmt line of an access log, as `parseJsonAccess` reads a JSON one (logfmt's durations are milliseconds), also as
 * the message of a syslog line (Heroku's router: `2026-12-07T00:00:01+00:00 heroku[router]: at=info method=GET ...`).
 */
export function parseLogfmtAccess(line: string): ParsedLine | undefined {
  const p = parseLogfmt(line) ?? framedLogfmt(parseSyslog(line));
  return p && accessLine(p, 'logfmt-access');
}

/**
 * A line of a `json-access` stream: a request as `parseJsonAccess` reads it, any other JSON line (Caddy's and
 * Traefik's own messages between the requests) as `json` does, with its time, level and message.
 */
export function readJsonAccess(line: string): ParsedLine | undefined {
  const p = parseJson(line);
  return p && (accessLine(p, 'json-access') ?? p);
}

/** A line of a `logfmt-access` stream, as `readJsonAccess` reads a JSON one (Grafana's other lines are `logfmt`). */
export function readLogfmtAccess(line: string): ParsedLine | undefined {
  const p = parseLogfmt(line);
  if (p) return accessLine(p, 'logfmt-access') ?? p;
  const frame = parseSyslog(line);
  const body = framedLogfmt(frame);
  return (body && accessLine(body, 'logfmt-access')) ?? frame;
}

/** The logfmt message of a syslog line, with the line's time when the message has none. */
function framedLogfmt(frame: ParsedLine | undefined): ParsedLine | undefined {
  const body = frame && parseLogfmt(frame.message);
  return body && { ...body, ts: body.ts ?? frame.ts, raw: frame.raw };
}

/** The client `parseJsonAccess` reads from a line (`-` if none), for a scan to deal lines by client. */
export function jsonAccessClient(line: string): string {
  const p = parseJson(line);
  return hostOf((p && partsOf(p)('ip')) ?? '-');
}

function accessLine(p: ParsedLine, format: 'json-access' | 'logfmt-access'): ParsedLine | undefined {
  const get = partsOf(p);
  let method = get('method');
  let target = get('target');
  let protocol = get('protocol');
  const request = get('request');
  if ((!method || !target) && request) [method, target, protocol] = request.split(' ', 3);
  const url = target ? undefined : get('url');
  target ??= url;
  const status = get('status');
  if (!method || !target || !status) return undefined;
  const query = get('query');
  if (query && query !== '-' && !target.includes('?')) target += `?${query.replace(/^\?/, '')}`;
  return (url ? siteLine : webLine)(p.raw, format, p.ts, {
    ip: hostOf(get('ip') ?? '-'),
    user: get('user'),
    method,
    target,
    protocol,
    status,
    bytes: get('bytes'),
    referer: get('referer'),
    ua: get('ua'),
    rt: seconds(get('rt'), format === 'logfmt-access' ? 'ms' : get.keyOf('rt')),
  });
}

/** The client of an address, or of a forwarded-for list (`203.0.113.7, 10.0.0.1`: the first). */
function hostOf(address: string): string {
  const first = address.includes(',') ? address.slice(0, address.indexOf(',')).trim() : address;
  return addressHost(first) ?? first;
}

/**
 * The value of each part in a parsed JSON line: of its keys present and not empty, the first in KEYS; `keyOf` says
 * which key it came under.
 */
function partsOf(p: ParsedLine): ((part: Part) => string | undefined) & { keyOf(part: Part): string | undefined } {
  const found = new Map<Part, [string | number, number]>();
  const visit = (key: string, v: string | number, ranked = 0) => {
    const hit = PART_OF.get(normal(key));
    if (!hit || v === '') return;
    const best = found.get(hit[0]);
    if (!best || hit[1] + ranked < best[1]) found.set(hit[0], [v, hit[1] + ranked]);
  };
  const each = (f: (key: string, v: string | number) => void) => {
    for (const k in p.fields) f(k, p.fields[k]);
    for (const k in p.numeric) f(k, p.numeric[k]);
  };
  each(visit);
  // A key not named above, read without its first part (`httpRequest.status` as `status`), ranks after every named one.
  if (!found.has('status') || !(found.has('method') || found.has('request')))
    each((k, v) => {
      const dot = k.indexOf('.');
      if (dot >= 0 && !PART_OF.has(normal(k))) visit(k.slice(dot + 1), v, INNER_RANK);
    });
  const get = (part: Part) => {
    const v = found.get(part)?.[0];
    return typeof v === 'string' ? unwrap(v) : v === undefined ? undefined : String(v);
  };
  return Object.assign(get, {
    keyOf: (part: Part) => {
      const rank = found.get(part)?.[1];
      return rank === undefined ? undefined : KEYS[part][rank % INNER_RANK];
    },
  });
}

/** Added to the rank of a key read without its first part. */
const INNER_RANK = 1000;

const normalized = new Map<string, string>();
/** Past this many distinct keys (they are the client's), keys are normalized again each time, not remembered. */
const NORMALIZED_KEYS = 1024;

function normal(key: string): string {
  let n = normalized.get(key);
  if (n === undefined) {
    n = key.toLowerCase().replace(/[^a-z0-9]/g, '');
    if (normalized.size < NORMALIZED_KEYS) normalized.set(key, n);
  }
  return n;
}

/** A header Caddy logs as an array of its values: the first. */
function unwrap(v: string): string {
  if (v.charCodeAt(0) !== 91) return v;
  try {
    const a: unknown = JSON.parse(v);
    return Array.isArray(a) && typeof a[0] === 'string' ? a[0] : v;
  } catch {
    return v;
  }
}

/**
 * The response time in seconds. nginx's `request_time` and the other keys are seconds. A `duration` is Caddy's in
 * seconds (a fraction), Envoy's in milliseconds (a whole number) or Traefik's in nanoseconds (a whole number over 10^6:
 * no request takes 11 days); logfmt's (`ms`) are milliseconds, as parseLogfmt turns Go durations into.
 */
function seconds(value: string | undefined, key: string | undefined): string | undefined {
  // Google Cloud's durations are strings in seconds with their unit: "0.012345s".
  const n = Number(value?.endsWith('s') ? value.slice(0, -1) : value);
  if (value === undefined || !Number.isFinite(n) || n < 0) return undefined;
  if (key === 'ms') return String(n / 1000);
  if (key !== 'duration' || !Number.isInteger(n)) return String(n);
  return String(n > 1e6 ? n / 1e9 : n / 1000);
}
