import type { ParsedLine } from '../types.js';
import { normalizeLevel, sniffLevel } from './level.js';
import { KERNEL_UPTIME, parseIso, syslogMs } from './timestamp.js';

const BGL =
  /^(\S+) (\d{9,11}) \d{4}\.\d{2}\.\d{2} (\S+) \d{4}-\d{2}-\d{2}-\d{2}\.\d{2}\.\d{2}\.(\d{6}) \S+ (\S+) (\S+) ([A-Z]+) ?/;
const RFC5424 = /^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) /;
const RFC3164 =
  /^(?:<(\d{1,3})>)?(?:([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})|(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)) {1,2}(\S+) /;
const TAG = /^([^\s[\]:]{1,64})(?:\[([^\]\s]{1,32})\])?: /;
const HEAD_CHARS = 256;

/** Syslog-like lines: BGL/RAS, RFC 5424 and RFC 3164 (timestamp, host, level, message). */
export function parseSyslog(line: string): ParsedLine | undefined {
  const head = line.length > HEAD_CHARS ? line.slice(0, HEAD_CHARS) : line;
  return parseBgl(line, head) ?? parseThunderbird(line, head) ?? parseRfc5424(line, head) ?? parseRfc3164(line, head);
}

const THUNDERBIRD = /^\S+ \d{9,11} \d{4}\.\d{2}\.\d{2} \S+ (?=[A-Z][a-z]{2} {1,2}\d)/;

/**
 * Thunderbird/Liberty/Spirit (the USENIX CFDR sets): `- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228
 * crond(pam_unix)[2915]: msg`, an RFC 3164 line after the alert label, epoch, date and node. As for BGL, the first
 * column is the data set's label (ground truth) and is not a field.
 */
function parseThunderbird(line: string, head: string): ParsedLine | undefined {
  const m = THUNDERBIRD.exec(head);
  if (!m) return undefined;
  const rest = parseRfc3164(line.slice(m[0].length), head.slice(m[0].length));
  return rest && { ...rest, raw: line };
}

/**
 * BGL: `- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL INFO msg`.
 * The first column is the dataset's alert label (ground truth), so it is not offered as a field.
 */
function parseBgl(line: string, head: string): ParsedLine | undefined {
  const m = BGL.exec(head);
  if (!m) return undefined;
  return {
    ts: Number(m[2]) * 1000 + Math.floor(Number(m[4]) / 1000),
    level: normalizeLevel(m[7]) ?? m[7],
    fields: { host: m[3], type: m[5], component: m[6] },
    message: line.slice(m[0].length),
    raw: line,
    format: 'syslog',
  };
}

/** RFC 5424: `<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG`. */
function parseRfc5424(line: string, head: string): ParsedLine | undefined {
  const m = RFC5424.exec(head);
  if (!m) return undefined;
  const iso = m[2] === '-' ? undefined : parseIso(m[2]);
  const fields: Record<string, string> = {};
  if (m[3] !== '-') fields.host = m[3];
  if (m[4] !== '-') fields.app = m[4];
  if (m[5] !== '-') fields.pid = m[5];
  if (m[6] !== '-') fields.msgid = m[6];
  let at = m[0].length;
  if (line.charCodeAt(at) === 91) {
    const end = structuredDataEnd(line, at);
    fields.sd = line.slice(at, end);
    at = end;
  } else if (line.charCodeAt(at) === 45) at++;
  if (line.charCodeAt(at) === 32) at++;
  if (line.charCodeAt(at) === 0xfeff) at++;
  return { ts: iso?.ms, level: severityOf(m[1]), fields, message: line.slice(at), raw: line, format: 'syslog' };
}

/**
 * RFC 3164: `[<PRI>]Mar  3 12:00:01 host app[123]: msg`, also with an ISO timestamp, `T` or a space before its time
 * (rsyslog's high-precision form; macOS's `log show --style syslog`), and without the host when the tag has its pid.
 */
function parseRfc3164(line: string, head: string): ParsedLine | undefined {
  const m = RFC3164.exec(head);
  if (!m) return undefined;
  const ts = m[2] ? syslogMs(m[2], +m[3], +m[4], +m[5], +m[6]) : parseIso(m[7])?.ms;
  if (ts === undefined) return undefined;
  // A level word after an ISO time is an application's header (`2024-03-01 12:00:00 WARN pool: low`), not a host
  // (a host named `e` or `log` still is one).
  if (m[7] && m[8].length >= 4 && normalizeLevel(m[8]) !== undefined) return undefined;
  // No host, the tag right after the time (`app[web.1]: msg`, as `heroku logs` prints): only with its [pid].
  const hostless = m[8].endsWith(']:') ? TAG.exec(`${m[8]} `) : null;
  const fields: Record<string, string> = hostless ? {} : { host: m[8] };
  let at = m[0].length;
  const tag = hostless ?? TAG.exec(head.slice(at));
  if (tag) {
    fields.app = tag[1];
    if (tag[2] !== undefined) fields.pid = tag[2];
    if (!hostless) at += tag[0].length;
  } else if (m[7]) {
    // An ISO time and a word are any timestamped line; rsyslog's ISO form is syslog when a tag follows the host.
    return undefined;
  }
  const uptime = line.charCodeAt(at) === 91 ? KERNEL_UPTIME.exec(line.slice(at, at + 24)) : null;
  if (uptime) {
    fields.uptime = uptime[1];
    at += uptime[0].length;
  }
  const message = line.slice(at);
  return { ts, level: m[1] ? severityOf(m[1]) : sniffLevel(message), fields, message, raw: line, format: 'syslog' };
}

function severityOf(pri: string): string | undefined {
  return normalizeLevel(Number(pri) % 8);
}

/** End of RFC 5424 structured data: one or more `[id k="v" ...]` elements, `\]` and `\"` escaped. */
function structuredDataEnd(s: string, from: number): number {
  let i = from;
  while (s.charCodeAt(i) === 91) {
    let quoted = false;
    for (i++; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 92) i++;
      else if (c === 34) quoted = !quoted;
      else if (c === 93 && !quoted) break;
    }
    i++;
  }
  return Math.min(i, s.length);
}
