import type { FormatName, ParsedLine } from '../types.js';
import { levelOfStatus } from './level.js';
import { closingQuote } from './text.js';
import { parseClf } from './timestamp.js';

export type WebFormat = 'apache' | 'nginx';

const RESPONSE_TIME = /^(?:(?:rt|request_time|rtime)="?(\d+(?:\.\d+)?)"?|"?(\d+\.\d+)"?)$/;
/** A request target naming a site, as sent to a proxy (`http://host:80/path`): its scheme and host. */
export const ABSOLUTE_URL = /^[a-z][a-z0-9+.-]*:\/\/[^/?#\s]*/i;
const IPV4 = /^(\d{1,3}(?:\.\d{1,3}){3})(?::\d{1,5})?$/;
/** `2001:db8::1`, `[2001:db8::1]:443`: a `::` or seven colons, so that a clock (`00:00:01`) is not one. */
const IPV6 = /^\[?((?=[0-9a-f:]*::|(?:[0-9a-f]{1,4}:){7})[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7})\]?(?::\d{1,5})?$/i;

/** The host of a client's address (IPv4 or IPv6, a `:port` dropped: a client is its host, not its connection). */
export function addressHost(token: string): string | undefined {
  return (IPV4.exec(token) ?? (token.includes(':') ? IPV6.exec(token) : null))?.[1];
}

/**
 * Apache/nginx common and combined formats, scanned by hand (one pass, no backtracking):
 * `ip ident user [time] "request" status bytes ["referer" "ua"] [response time]`, optionally after the virtual host
 * (Apache's `vhost_combined`, `%v:%p` first: Debian's other_vhosts_access.log), which becomes field `vhost`; it is
 * empty where nginx's `$http_host` first had none (a request without a Host header: a scanner's, a non-HTTP probe's).
 * nginx is combined plus a trailing response time in seconds (`rt=0.123`, `request_time=0.1` or a bare float).
 */
export function parseWeb(line: string, format: WebFormat): ParsedLine | undefined {
  const parsed = parseWebAt(line, 0, format);
  if (parsed) return parsed;
  const hostEnd = line.indexOf(' ');
  const vhosted = hostEnd >= 0 ? parseWebAt(line, hostEnd + 1, format) : undefined;
  if (vhosted) vhosted.fields.vhost = line.slice(0, hostEnd);
  return vhosted;
}

function parseWebAt(line: string, start: number, format: WebFormat): ParsedLine | undefined {
  const ipEnd = line.indexOf(' ', start);
  if (ipEnd <= start) return undefined;
  const identEnd = line.indexOf(' ', ipEnd + 1);
  if (identEnd < 0) return undefined;
  const userEnd = line.indexOf(' ', identEnd + 1);
  if (userEnd < 0 || line.charCodeAt(userEnd + 1) !== 91) return undefined;
  const timeEnd = line.indexOf(']', userEnd + 2);
  if (timeEnd < 0 || line.charCodeAt(timeEnd + 1) !== 32 || line.charCodeAt(timeEnd + 2) !== 34) return undefined;
  const ts = parseClf(line, userEnd + 2, timeEnd);
  if (ts === undefined) return undefined;

  const reqStart = timeEnd + 3;
  const reqEnd = closingQuote(line, reqStart);
  if (reqEnd < 0 || line.charCodeAt(reqEnd + 1) !== 32) return undefined;
  const statusStart = reqEnd + 2;
  const statusEnd = statusStart + 3;
  if (!isStatus(line, statusStart) || line.charCodeAt(statusEnd) !== 32) return undefined;
  let bytesEnd = statusEnd + 1;
  if (line.charCodeAt(bytesEnd) === 45) bytesEnd++;
  else while (isDigit(line.charCodeAt(bytesEnd))) bytesEnd++;
  if (bytesEnd === statusEnd + 1 || (bytesEnd < line.length && line.charCodeAt(bytesEnd) !== 32)) return undefined;
  const status = line.slice(statusStart, statusEnd);
  const bytes = line.slice(statusEnd + 1, bytesEnd);

  let referer = '-';
  let ua = '-';
  let rest = bytesEnd + 1;
  // Quotes after another field (`$request_time "$http_referer" ...`): a layout of its own, read by parseAccess.
  if (rest < line.length && line.charCodeAt(rest) !== 34 && line.includes('"', rest)) return undefined;
  if (line.charCodeAt(rest) === 34) {
    const refEnd = closingQuote(line, rest + 1);
    if (refEnd < 0 || line.charCodeAt(refEnd + 1) !== 32 || line.charCodeAt(refEnd + 2) !== 34) return undefined;
    const uaEnd = closingQuote(line, refEnd + 3);
    if (uaEnd < 0) return undefined;
    referer = line.slice(rest + 1, refEnd);
    ua = line.slice(refEnd + 3, uaEnd);
    rest = uaEnd + 2;
  }

  let methodEnd = line.indexOf(' ', reqStart);
  if (methodEnd < 0 || methodEnd > reqEnd) methodEnd = reqEnd;
  let targetEnd = methodEnd < reqEnd ? line.indexOf(' ', methodEnd + 1) : reqEnd;
  if (targetEnd < 0 || targetEnd > reqEnd) targetEnd = reqEnd;
  let pathEnd = methodEnd < reqEnd ? line.indexOf('?', methodEnd + 1) : reqEnd;
  if (pathEnd < 0 || pathEnd > targetEnd) pathEnd = targetEnd;
  const method = line.slice(reqStart, methodEnd);
  const path = line.slice(Math.min(methodEnd + 1, reqEnd), pathEnd);
  const fields: Record<string, string> = {
    ip: line.slice(start, ipEnd),
    user: line.slice(identEnd + 1, userEnd),
    method,
    path,
    query: pathEnd < targetEnd ? line.slice(pathEnd + 1, targetEnd) : '',
    protocol: targetEnd < reqEnd ? line.slice(targetEnd + 1, reqEnd) : '',
    status,
    bytes: bytes === '-' ? '0' : bytes,
    referer,
    ua,
  };
  const rt = rest < line.length ? responseTime(line.slice(rest)) : undefined;
  if (rt !== undefined) fields.rt = rt;
  return { ts, level: levelOfStatus(status), fields, message: path ? `${method} ${path}` : method, raw: line, format };
}

/** What every access-log format says of a request, as it writes it (`-` for what it leaves out). */
export interface WebRequest {
  ip: string;
  user?: string;
  method: string;
  /** The request target: path and query, `?` between them. */
  target: string;
  protocol?: string;
  status: string;
  bytes?: string;
  referer?: string;
  ua?: string;
  /** Seconds. */
  rt?: string;
}

/**
 * `webLine` for a layout that may log the target as an absolute URL (a load balancer, a proxy): its scheme and host go
 * to field `host`, so that routes are paths as in every other layout.
 */
export function siteLine(
  raw: string,
  format: FormatName,
  ts: number | undefined,
  r: WebRequest,
): ParsedLine | undefined {
  const absolute = ABSOLUTE_URL.exec(r.target);
  const parsed = webLine(raw, format, ts, absolute ? { ...r, target: r.target.slice(absolute[0].length) || '/' } : r);
  if (parsed && absolute) parsed.fields.host = absolute[0];
  return parsed;
}

/**
 * The status of a request that got no HTTP answer: Squid's for one the client aborted or that failed before it; an
 * HTTPERR connection that ended without a request.
 */
export const NO_ANSWER = '000';

/**
 * A web line from another layout's parts (W3C, JSON access logs): the fields and message `parseWeb` gives, so the
 * web features read every access-log format alike. Undefined unless the status is an HTTP status.
 */
export function webLine(
  raw: string,
  format: FormatName,
  ts: number | undefined,
  r: WebRequest,
): ParsedLine | undefined {
  if (r.status.length !== 3 || !(isStatus(r.status, 0) || r.status === NO_ANSWER) || !r.method) return undefined;
  const q = r.target.indexOf('?');
  const path = q < 0 ? r.target : r.target.slice(0, q);
  const fields: Record<string, string> = {
    ip: r.ip || '-',
    user: r.user || '-',
    method: r.method,
    path,
    query: q < 0 ? '' : r.target.slice(q + 1),
    protocol: r.protocol && r.protocol !== '-' ? r.protocol : '',
    status: r.status,
    bytes: r.bytes && r.bytes !== '-' ? r.bytes : '0',
    referer: r.referer || '-',
    ua: r.ua || '-',
  };
  if (r.rt !== undefined) fields.rt = r.rt;
  return { ts, level: levelOfStatus(r.status), fields, message: path ? `${r.method} ${path}` : r.method, raw, format };
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** A three-digit HTTP status, 100 to 599. */
function isStatus(s: string, at: number): boolean {
  const c = s.charCodeAt(at);
  return c >= 49 && c <= 53 && isDigit(s.charCodeAt(at + 1)) && isDigit(s.charCodeAt(at + 2));
}

/** The first trailing token that reads as a response time in seconds. */
export function responseTime(tail: string): string | undefined {
  for (const token of tail.trim().split(' ', 8)) {
    const m = RESPONSE_TIME.exec(token);
    if (m) return m[1] ?? m[2];
  }
  return undefined;
}
