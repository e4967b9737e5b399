import type { ParsedLine } from '../types.js';
import { parseJson } from './json.js';
import { webLine, type WebRequest } from './web.js';

/**
 * The keys JSON access logs write each part under, lower-cased with every character but letters and digits dropped:
 * nginx's usual `log_format ... escape=json` (`remote_addr`, `request`, `status`, `body_bytes_sent`,
 * `http_user_agent`, `request_time`), Caddy's (`request.remote_ip`, `request.method`, `request.uri`,
 * `request.headers.User-Agent`, `status`, `size`, `duration`), Traefik's (`ClientHost`, `RequestMethod`,
 * `RequestPath`, `DownstreamStatus`, `DownstreamContentSize`, `request_User-Agent`, `Duration` in nanoseconds) and
 * Elastic Common Schema's (`source.ip`, `http.request.method`, `url.original`, `http.response.status_code`,
 * `user_agent.original`).
 */
const KEYS: Record<keyof WebRequest | 'request', readonly string[]> = {
  ip: ['remoteaddr', 'requestremoteip', 'remoteip', 'clienthost', 'clientip', 'sourceip', 'clientaddress', 'ip'],
  user: ['remoteuser', 'user', 'username', 'requestuser'],
  method: ['method', 'requestmethod', 'httprequestmethod', 'httpmethod'],
  target: ['requesturi', 'uri', 'requestpath', 'urloriginal', 'path'],
  request: ['request', 'requestline'],
  protocol: ['serverprotocol', 'protocol', 'requestproto', 'requestprotocol', 'proto', 'httpversion'],
  status: ['status', 'statuscode', 'downstreamstatus', 'httpresponsestatuscode', 'responsestatus', 'httpstatus'],
  bytes: ['bodybytessent', 'bytessent', 'size', 'downstreamcontentsize', 'httpresponsebodybytes', 'responsesize'],
  referer: ['httpreferer', 'referer', 'referrer', 'requestheadersreferer', 'requestreferer', 'httprequestreferrer'],
  ua: ['httpuseragent', 'useragent', 'requestheadersuseragent', 'requestuseragent', 'useragentoriginal'],
  rt: ['requesttime', 'duration', 'responsetime', 'upstreamresponsetime'],
};

/**
 * A JSON line of an access log: the web fields from the keys above, the target as the client sent it (an absolute URL
 * stays one: a proxy probe), the level from the status as in every web format. Undefined unless the line has a method
 * and target (or a request line) and an HTTP status.
 */
export function parseJsonAccess(line: string): ParsedLine | undefined {
  const p = parseJson(line);
  if (!p) return undefined;
  const values = new Map<string, string>();
  for (const [k, v] of Object.entries(p.fields)) values.set(normal(k), unwrap(v));
  for (const [k, v] of Object.entries(p.numeric ?? {})) values.set(normal(k), String(v));
  const get = (part: keyof typeof KEYS) => {
    for (const key of KEYS[part]) {
      const v = values.get(key);
      if (v !== undefined && v !== '') return v;
    }
    return undefined;
  };
  let method = get('method');
  let target = get('target');
  let protocol = get('protocol');
  const request = get('request');
  if ((!method || !target) && request) [method, target, protocol] = request.split(' ', 3);
  const status = get('status');
  if (!method || !target || !status) return undefined;
  return webLine(line, 'json-access', p.ts, {
    ip: get('ip') ?? '-',
    user: get('user'),
    method,
    target,
    protocol,
    status,
    bytes: get('bytes'),
    referer: get('referer'),
    ua: get('ua'),
    rt: seconds(values),
  });
}

function normal(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, '');
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
 * The response time in seconds: nginx's `request_time` and Caddy's `duration` are seconds; Traefik's `Duration` is
 * nanoseconds (an integer over 10^6 read as such: no request takes 11 days).
 */
function seconds(values: ReadonlyMap<string, string>): string | undefined {
  for (const key of KEYS.rt) {
    const n = Number(values.get(key));
    if (values.get(key) === undefined || !Number.isFinite(n) || n < 0) continue;
    return String(Number.isInteger(n) && n > 1e6 ? n / 1e9 : n);
  }
  return undefined;
}
