import type { ParsedLine } from '../types.js';
import { closingQuote } from './text.js';
import { leadingTimestamp, parseClf, parseIso } from './timestamp.js';
import { webLine } from './web.js';

const REQUEST_LINE = /"([A-Z]{3,10}) ([^\s"]+) (HTTP\/\d(?:\.\d)?)"/;
const STATUS = /^[1-5]\d\d$/;
const IPV4 = /^(\d{1,3}(?:\.\d{1,3}){3})(?::\d{1,5})?$/;
/** `2001:db8::1`, `[2001:db8::1]:443`: a `::` or seven colons, so that a clock (`00:00:01`) is not one. */
const IPV6 = /^\[?((?=[0-9a-f:]*::|(?:[0-9a-f]{1,4}:){7})[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7})\]?(?::\d{1,5})?$/i;
const ABSOLUTE = /^[a-z][a-z0-9+.-]*:\/\/[^/?#\s]*/i;
/** The fields are read this near the request (an AWS load balancer's line is about 600 characters). */
const NEAR_CHARS = 2048;

/**
 * Access lines in a layout of their own (format `access`): a quoted request line `"GET /a?b HTTP/1.1"` anywhere, and
 * an HTTP status as a token of its own: right after the request, else the first before it, else the first after it. This reads what the
 * strict `apache` scanner does not: AWS load balancers' logs (the status before the request), HAProxy's HTTP log in
 * syslog, nginx `log_format`s that move or add fields (`$request_time` before the referer, `$host` first). The client
 * is the first IP token (IPv4 or IPv6, a `:port` dropped) before the request, else a quoted one after it (Envoy), the time the line's leading one or else a bracketed CLF or an ISO
 * token; the number right after a status that follows the request is the bytes, the last number between a status
 * and the request that follows it (an AWS load balancer's sent bytes, HAProxy's bytes read) likewise; of the quoted strings after the request, a URL or `-` followed by
 * another is the referer, the next the user agent. A load balancer logs the target as an absolute URL: its scheme and
 * host are dropped from the path (field `host`), so routes are paths as in every other layout.
 */
export function parseAccess(line: string): ParsedLine | undefined {
  const request = REQUEST_LINE.exec(line);
  if (!request) return undefined;
  const open = request.index;
  const close = open + request[0].length;
  const after = line.slice(close, close + NEAR_CHARS).split(' ');
  const before = line.slice(Math.max(0, open - NEAR_CHARS), open).split(' ');
  let status: string | undefined;
  let bytes: string | undefined;
  // `after[0]` is '' (the space after the closing quote): the status right after the request, as combined has it.
  const from = before.findIndex((t) => STATUS.test(t));
  const at = STATUS.test(after[1] ?? '') || from < 0 ? after.findIndex((t) => STATUS.test(t)) : -1;
  if (at >= 0) {
    status = after[at];
    if (/^\d+$/.test(after[at + 1] ?? '')) bytes = after[at + 1];
  } else if (from >= 0) {
    status = before[from];
    for (let i = from + 1; i < before.length; i++) if (/^\d+$/.test(before[i])) bytes = before[i];
  }
  if (status === undefined) return undefined;
  const [referer, ua, forwarded] = quotedAfter(line, close);
  let target = request[2];
  const absolute = ABSOLUTE.exec(target);
  if (absolute) target = target.slice(absolute[0].length) || '/';
  const parsed = webLine(line, 'access', timeOf(line, before), {
    ip: ipOf(before) ?? forwarded ?? '-',
    method: request[1],
    target,
    protocol: request[3],
    status,
    bytes,
    referer,
    ua,
    rt: responseTimeOf(after),
  });
  if (parsed && absolute) parsed.fields.host = absolute[0];
  return parsed;
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
  const forwarded = quoted.length > 1 ? (IPV4.exec(quoted[0]) ?? IPV6.exec(quoted[0]))?.[1] : undefined;
  if (forwarded) return [undefined, quoted[1], forwarded];
  if (quoted.length >= 2 && (quoted[0] === '-' || quoted[0] === '' || ABSOLUTE.test(quoted[0])))
    return [quoted[0], quoted[1], undefined];
  return [undefined, quoted[0], undefined];
}

function ipOf(tokens: readonly string[]): string | undefined {
  for (const t of tokens) {
    const m = IPV4.exec(t) ?? (t.includes(':') ? IPV6.exec(t) : null);
    if (m) return m[1];
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

/** nginx's `rt=0.250` / `request_time=0.25` / a bare decimal after the request, in seconds. */
function responseTimeOf(after: readonly string[]): string | undefined {
  for (const t of after) {
    const m = /^(?:rt|request_time|rtime)="?(\d+(?:\.\d+)?)"?$|^"?(\d+\.\d+)"?$/.exec(t);
    if (m) return m[1] ?? m[2];
  }
  return undefined;
}
