/** Timestamp readers. Every result is milliseconds since the epoch (UTC unless the text carries a zone). */

const MONTHS: Record<string, number> = {
  Jan: 1, Feb: 2, Mar: 3, Apr: 4, May: 5, Jun: 6, Jul: 7, Aug: 8, Sep: 9, Oct: 10, Nov: 11, Dec: 12,
};

/** Epoch milliseconds of a UTC calendar time (month 1..12); undefined when a part is out of range. */
export function utcMs(y: number, mo: number, d: number, h: number, mi: number, s: number, ms = 0): number | undefined {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  // Days from civil (H. Hinnant): exact for the proleptic Gregorian calendar, no Date allocation.
  const yy = mo <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  const days = era * 146097 + doe - 719468;
  return ((days * 24 + h) * 60 + mi) * 60000 + s * 1000 + ms;
}

function digits(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  return v;
}

let lastClf = '01/Jan/1970:00:00:00 +0000';
let lastClfMs = 0;

/**
 * Apache/nginx time `10/Oct/2000:13:55:36 -0700` in s[start, end). The last value is cached: consecutive
 * lines of an access log mostly share their second.
 */
export function parseClf(s: string, start: number, end: number): number | undefined {
  if (end - start !== 26) return undefined;
  const text = s.slice(start, end);
  if (text === lastClf) return lastClfMs;
  if (s.charCodeAt(start + 2) !== 47 || s.charCodeAt(start + 20) !== 32) return undefined;
  const mo = MONTHS[s.slice(start + 3, start + 6)];
  if (mo === undefined) return undefined;
  const ms = utcMs(
    digits(s, start + 7, 4), mo, digits(s, start, 2),
    digits(s, start + 12, 2), digits(s, start + 15, 2), digits(s, start + 18, 2),
  );
  const offset = zoneMinutes(s, start + 21);
  if (ms === undefined || Number.isNaN(ms) || offset === undefined) return undefined;
  lastClf = text;
  lastClfMs = ms - offset * 60000;
  return lastClfMs;
}

/** `+0200` / `-07:00` at s[at]: minutes east of UTC. */
function zoneMinutes(s: string, at: number): number | undefined {
  const sign = s[at] === '+' ? 1 : s[at] === '-' ? -1 : 0;
  if (!sign) return undefined;
  const colon = s[at + 3] === ':' ? 1 : 0;
  const h = digits(s, at + 1, 2);
  const m = digits(s, at + 3 + colon, 2);
  return Number.isNaN(h + m) ? undefined : sign * (h * 60 + m);
}

const ISO = /^(\d{4})[-/](\d{2})[-/](\d{2})(?:[T ]|-(?=\d{2}\.))(\d{2})[:.](\d{2})(?:[:.](\d{2})(?:[.,](\d{1,9}))?)?(?: ?(Z|[+-]\d{2}:?\d{2}))?/;

/** ISO 8601 and its common cousins (`2024-03-01 12:00:00,123`, `2024/03/01 12:00`, BGL's `2005-06-03-15.42.50.675872`). */
export function parseIso(s: string): { ms: number; length: number } | undefined {
  const m = ISO.exec(s);
  if (!m) return undefined;
  const frac = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  const ms = utcMs(+m[1], +m[2], +m[3], +m[4], +m[5], m[6] ? +m[6] : 0, frac);
  if (ms === undefined) return undefined;
  const zone = m[8];
  const offset = !zone || zone === 'Z' ? 0 : zoneMinutes(zone, 0);
  return offset === undefined ? undefined : { ms: ms - offset * 60000, length: m[0].length };
}

/** Epoch seconds, milliseconds, microseconds or nanoseconds, told apart by magnitude. */
export function fromEpoch(n: number): number | undefined {
  if (!Number.isFinite(n) || n <= 0) return undefined;
  if (n < 1e11) return Math.round(n * 1000);
  if (n < 1e14) return Math.round(n);
  if (n < 1e17) return Math.round(n / 1000);
  return n < 1e20 ? Math.round(n / 1e6) : undefined;
}

/** A `ts`/`time` value from JSON, logfmt or CSV: epoch number (any unit), numeric string, ISO or Apache text. */
export function parseTimestampValue(v: unknown): number | undefined {
  if (typeof v === 'number') return fromEpoch(v);
  if (typeof v !== 'string' || v.length > 64) return undefined;
  if (/^\d+(?:\.\d+)?$/.test(v)) return fromEpoch(Number(v));
  const iso = parseIso(v);
  if (iso) return iso.ms;
  return v.length === 26 ? parseClf(v, 0, 26) : undefined;
}

/** Syslog's `Mar  3 12:00:01` has no year: the current one, or last year when that would be in the future. */
export function syslogMs(month: string, day: number, h: number, mi: number, s: number, now = Date.now()): number | undefined {
  const mo = MONTHS[month];
  if (mo === undefined) return undefined;
  const year = new Date(now).getUTCFullYear();
  const ms = utcMs(year, mo, day, h, mi, s);
  if (ms === undefined) return undefined;
  return ms > now + 86_400_000 ? utcMs(year - 1, mo, day, h, mi, s) : ms;
}

/** HDFS `081109 203615` (yymmdd hhmmss, UTC). */
export function hdfsMs(s: string, at: number): number | undefined {
  const ms = utcMs(
    2000 + digits(s, at, 2), digits(s, at + 2, 2), digits(s, at + 4, 2),
    digits(s, at + 7, 2), digits(s, at + 9, 2), digits(s, at + 11, 2),
  );
  return ms === undefined || Number.isNaN(ms) ? undefined : ms;
}

const LEADING_SYSLOG = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?!\d)/;
const LEADING_EPOCH = /^(\d{10}(?:\d{3})?(?:\.\d+)?)(?=\s|$)/;
const LEADING_HDFS = /^\d{6} \d{6}(?=\s|$)/;
const SNIFF_CHARS = 64;

/** A timestamp at the start of a free-text line (optionally in brackets), in the formats logs commonly use. */
export function sniffTimestamp(line: string): number | undefined {
  let head = line.length > SNIFF_CHARS ? line.slice(0, SNIFF_CHARS) : line;
  if (head.charCodeAt(0) === 91) head = head.slice(1);
  const first = head.charCodeAt(0);
  if (first >= 48 && first <= 57) {
    const iso = parseIso(head);
    if (iso) return iso.ms;
    if (head.charCodeAt(2) === 47 && head.length >= 26) return parseClf(head, 0, 26);
    if (LEADING_HDFS.test(head)) return hdfsMs(head, 0);
    const epoch = LEADING_EPOCH.exec(head);
    return epoch ? fromEpoch(Number(epoch[1])) : undefined;
  }
  const sys = LEADING_SYSLOG.exec(head);
  return sys ? syslogMs(sys[1], +sys[2], +sys[3], +sys[4], +sys[5]) : undefined;
}
