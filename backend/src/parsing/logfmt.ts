import type { ParsedLine } from '../types.js';
import { normalizeLevel } from './level.js';
import { closingQuote } from './text.js';
import { parseTimestampValue } from './timestamp.js';

const MESSAGE_KEYS = new Set(['msg', 'message']);
const LEVEL_KEYS = new Set(['level', 'lvl', 'severity']);
const TIME_KEYS = new Set(['time', 'ts', 'timestamp', 't']);
const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const DURATION = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)$/;
const MS_PER: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };

/**
 * logfmt: `level=error msg="x y" duration=12ms`. Every token must be `key=value` (value bare or double-quoted with
 * backslash escapes). Numbers become `numeric`, Go durations too (in milliseconds), other values `fields`.
 */
export function parseLogfmt(line: string): ParsedLine | undefined {
  const out: ParsedLine = { fields: {}, message: line, raw: line, format: 'logfmt' };
  const numeric: Record<string, number> = {};
  let pairs = 0;
  let numbers = 0;
  let hasMessage = false;
  const audit = AUDIT_RECORD.test(line);
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && line.charCodeAt(i) === 32) i++;
    if (i >= n) break;
    const eq = keyEnd(line, i);
    if (eq <= i || line.charCodeAt(eq) !== 61) {
      if (!audit) return undefined;
      // An audit record's words between its pairs (`user pid=7124`, `auditd start, ver=2.2`, `old auid=...`).
      const space = line.indexOf(' ', i);
      i = space < 0 ? n : space;
      continue;
    }
    const key = line.slice(i, eq);
    let value: string;
    if (line.charCodeAt(eq + 1) === 34) {
      const close = closingQuote(line, eq + 2);
      if (close < 0) return undefined;
      value = unescape(line.slice(eq + 2, close));
      i = close + 1;
      if (i < n && line.charCodeAt(i) !== 32) return undefined;
    } else {
      let end = line.indexOf(' ', eq + 1);
      if (end < 0) end = n;
      value = line.slice(eq + 1, end);
      i = end;
    }
    pairs++;
    if (MESSAGE_KEYS.has(key) && !hasMessage) {
      out.message = value;
      hasMessage = true;
      continue;
    }
    if (LEVEL_KEYS.has(key) && out.level === undefined) {
      out.level = normalizeLevel(value) ?? value;
      continue;
    }
    if (TIME_KEYS.has(key) && out.ts === undefined) {
      out.ts = parseTimestampValue(value);
      if (out.ts !== undefined) continue;
    }
    const num = toNumber(value);
    if (num === undefined) out.fields[key] = value;
    else {
      numeric[key] = num;
      numbers++;
    }
  }
  if (pairs === 0) return undefined;
  if (out.ts === undefined) readDateAndTime(out);
  if (numbers > 0) out.numeric = numeric;
  if (hasMessage) readAuditHeader(out);
  return out;
}

/**
 * The time as a `date` and a `time` of day (Fortinet's FortiGate, `date=2024-03-01 time=10:33:57`, and other
 * firewalls): before, such lines had no time, and every per-minute count (sweeps, bursts) saw one minute.
 */
function readDateAndTime(out: ParsedLine): void {
  const { date, time } = out.fields;
  if (date === undefined || time === undefined) return;
  const ts = parseTimestampValue(`${date} ${time}`);
  if (ts === undefined) return;
  out.ts = ts;
  delete out.fields.date;
  delete out.fields.time;
}

/** Linux audit's record header, given as the `msg` of `type=SYSCALL msg=audit(1364481363.243:24287): arch=...`. */
const AUDIT_HEADER = /^audit\((\d{9,11}(?:\.\d{1,6})?):\d+\):$/;
/**
 * A line that starts as an audit record does. Its body may hold words that are not pairs, and the line is still
 * logfmt: CentOS's `type=USER_AUTH msg=audit(...): user pid=7124 ...`, `type=DAEMON_START msg=audit(...): auditd
 * start, ver=2.2 ...`, `type=LOGIN ... old auid=4294967295 new auid=0` (131 of 135 lines of a real CentOS 6
 * audit.log were read as plain text, without their time, before).
 */
const AUDIT_RECORD = /^(?:node=\S{1,64} )?type=[A-Z_0-9]{1,40} msg=audit\(/;

/**
 * An audit record (auditd's audit.log) has no message: its `msg` is the header, with the time and the event's serial.
 * The time is the line's, and the message is the record without the header (`type=SYSCALL arch=c000003e syscall=2
 * success=no ... comm="cat" exe="/bin/cat"`), so that templates tell the records apart by type, outcome and program.
 */
function readAuditHeader(out: ParsedLine): void {
  const m = AUDIT_HEADER.exec(out.message);
  if (!m) return;
  out.ts ??= Math.round(Number(m[1]) * 1000);
  const at = out.raw.indexOf(` msg=${out.message}`);
  out.message = at < 0 ? out.raw : `${out.raw.slice(0, at)}${out.raw.slice(at + 5 + out.message.length)}`;
}

/** End of a key: the first space, `=` or quote. */
function keyEnd(s: string, from: number): number {
  let i = from;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 61 || c === 32 || c === 34) break;
  }
  return i;
}

function unescape(v: string): string {
  return v.includes('\\') ? v.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c)) : v;
}

function toNumber(v: string): number | undefined {
  if (NUMBER.test(v)) return Number(v);
  const d = DURATION.exec(v);
  return d ? Number(d[1]) * MS_PER[d[2]] : undefined;
}
