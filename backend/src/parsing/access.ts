import type { ParsedLine } from '../types.js';
import { closingQuote } from './text.js';
import { leadingTimestamp, parseClf, parseIso } from './timestamp.js';
import { ABSOLUTE_URL, addressHost, responseTime, siteLine } from './web.js';

const REQUEST_LINE = /"([A-Z]{3,10}) ([^\s"]+) (HTTP\/\d(?:\.\d)?)"/;
/**
 * A request that is no request line, after a bracketed time and before a status: HAProxy's `"<BADREQ>" 400`, the
 * `"-" 408` of a connection that sent nothing, a probe's bytes. Its one token is the method, as `parseWeb` reads it.
 */
const BARE_REQUEST = /(?<=\] )"([^\s"]{0,256})"(?= [1-5]\d\d )/;
const STATUS = /^[1-5]\d\d$/;
/** Envoy's response flags (`-`, `UH`, `UF,URX`), which its default layout writes after the status. */
const ENVOY_FLAGS = /^(?:-|[A-Z]{2,5}(?:,[A-Z]{2,5})*)$/;
const SQUID = /^(\d{9,10}\.\d{3}) +(\d{1,9}) (\S+) [A-Z_]+\/(\d{3}) (\d{1,15}) ([A-Z]{3,10}) (\S+) (\S+) \S+/;
/** The fields are read this near the request (an AWS load balancer's line is about 600 characters). */
const NEAR_CHARS = 2048;

/**
 * Access lines in a layout of their own (format `access`): a quoted request line `"GET /a?b HTTP/1.1"` anywhere, and
 * an HTTP status as a token of its own: right after the request, else the first before it, else the first after it.
 * This reads what the strict `apache` scanner does not: AWS load balancers' logs (the status before the request),
 * HAProxy's HTTP log in syslog, Envoy's default layout, nginx `log_format`s that move or add fields (`$request_time`
 * before the referer, `$host` first); and Squid's native log, which has no request line (parseSquid).
 * - client: the first address before the request, else a quoted one right after it (Envoy's forwarded client);
 * - time: the line's leading one, else a bracketed CLF, else an ISO token;
 * - bytes: the number right after a status that follows the request (after Envoy's response flags, its bytes received,
 *   then sent, then the duration in ms), else the last number between the status and the request (an AWS load
 *   balancer's sent bytes, HAProxy's bytes read);
 * - referer and user agent: of the quoted strings after the request, a URL or `-` followed by another, the next;
 * - target: a load balancer logs an absolute URL, whose scheme and host go to field `host`, so that routes are paths
 *   as in every other layout.
 */
export function parseAccess(line: string): ParsedLine | undefined {
  const request = REQUEST_LINE.exec(line) ?? BARE_REQUEST.exec(line);
  if (!request) return parseSquid(line);
  const open = request.index;
  const close = open + request[0].length;
  const tail = line.slice(close, close + NEAR_CHARS);
  const after = tail.split(' ');
  const before = line.slice(Math.max(0, open - NEAR_CHARS), open).split(' ');
  let status: string | undefined;
  let bytes: string | undefined;
  let ms: string | undefined;
  // `after[0]` is '' (the space after the closing quote): the status right after the request, as combined has it.
  const from = before.findIndex((t) => STATUS.test(t));
  const at = STATUS.test(after[1] ?? '') || from < 0 ? after.findIndex((t) => STATUS.test(t)) : -1;
  if (at >= 0) {
    status = after[at];
    if (/^\d+$/.test(after[at + 1] ?? '')) bytes = after[at + 1];
    else if (ENVOY_FLAGS.test(after[at + 1] ?? '') && after.slice(at + 2, at + 5).every((t) => /^\d+$/.test(t)))
      [, bytes, ms] = after.slice(at + 2, at + 5);
  } else if (from >= 0) {
    status = before[from];
    for (let i = from + 1; i < before.length; i++) if (/^\d+$/.test(before[i])) bytes = before[i];
  }
  if (status === undefined) return undefined;
  const [referer, ua, forwarded] = quotedAfter(line, close);
  return siteLine(line, 'access', timeOf(line, before), {
    ip: ipOf(before) ?? forwarded ?? '-',
    method: request[1] || '-',
    target: request[2] ?? '',
    protocol: request[3],
    status,
    bytes,
    referer,
    ua,
    rt: responseTime(tail) ?? (ms === undefined ? undefined : String(Number(ms) / 1000)),
  });
}

/**
 * Squid's native access log (also its forks'): `1286536308.779    180 192.168.0.224 TCP_MISS/200 411 GET
 * http://www.google.com/ - DIRECT/74.125.230.131 text/html`: the time, the elapsed ms (the response time), the client,
 * the result code with the HTTP status, the bytes, the method, the URL, the user, the peer and the content type. A
 * status of 000 (`TCP_MISS_ABORTED/000`, `NONE_NONE/000`: the request got no HTTP answer) is read as it is.
 */
function parseSquid(line: string): ParsedLine | undefined {
  const m = SQUID.exec(line);
  if (!m) return undefined;
  const [, time, elapsed, client, status, bytes, method, target, user] = m;
  return siteLine(line, 'access', Math.round(Number(time) * 1000), {
    ip: addressHost(client) ?? client,
    user,
    method,
    target,
    status,
    bytes,
    rt: String(Number(elapsed) / 1000),
  });
}

/**
 * Of the quoted strings after `from`, the referer and user agent: the first two, or the first alone as the agent when
 * it is no URL or `-`. A quoted address first is the forwarded client (Envoy's `"%REQ(X-FORWARDED-FOR)%"`), and the
 * agent follows it: [referer, user agent, forwarded client].
 */
function quotedAfter(line: string, from: number): [string | undefined, string | undefined, string | undefined] {
  const quoted: string[] = [];
  for (let i = line.indexOf('"', from); i >= 0 && quoted.length < 3; i = line.indexOf('"', i + 1)) {
    const end = closingQuote(line, i + 1);
    if (end < 0) break;
    quoted.push(line.slice(i + 1, end));
    i = end;
  }
  const forwarded = quoted.length > 1 ? addressHost(quoted[0]) : undefined;
  if (forwarded) return [undefined, quoted[1], forwarded];
  if (quoted.length >= 2 && (quoted[0] === '-' || quoted[0] === '' || ABSOLUTE_URL.test(quoted[0])))
    return [quoted[0], quoted[1], undefined];
  return [undefined, quoted[0], undefined];
}

function ipOf(tokens: readonly string[]): string | undefined {
  for (const t of tokens) {
    const host = addressHost(t);
    if (host) return host;
  }
  return undefined;
}

function timeOf(line: string, before: readonly string[]): number | undefined {
  const lead = leadingTimestamp(line);
  if (lead?.ms !== undefined) return lead.ms;
  const bracket = line.indexOf('[');
  if (bracket >= 0 && line.charCodeAt(bracket + 27) === 93) {
    const clf = parseClf(line, bracket + 1, bracket + 27);
    if (clf !== undefined) return clf;
  }
  for (const t of before) {
    const c = t.charCodeAt(0);
    if (c < 48 || c > 57 || t.length < 16) continue;
    const iso = parseIso(t);
    if (iso) return iso.ms;
  }
  return undefined;
}
