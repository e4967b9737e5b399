import { MONTHS, WEEKDAYS } from '@anomalog/contract';

/** Timestamp readers. Every result is milliseconds since the epoch (UTC unless the text carries a zone). */

/** Month number (1-12) by its abbreviation. */
const MONTH_NUMBER: Record<string, number> = Object.fromEntries(MONTHS.map((m, i) => [m, i + 1]));

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
  const mo = MONTH_NUMBER[s.slice(start + 3, start + 6)];
  if (mo === undefined) return undefined;
  const ms = utcMs(
    digits(s, start + 7, 4),
    mo,
    digits(s, start, 2),
    digits(s, start + 12, 2),
    digits(s, start + 15, 2),
    digits(s, start + 18, 2),
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

const ISO =
  /^(\d{4})[-/](\d{2})[-/](\d{2})(?:[T ]|-(?=\d{2}\.))(\d{2})[:.](\d{2})(?:[:.](\d{2})(?:[.,](\d{1,9}))?)?(?: ?(Z|[+-]\d{2}:?\d{2}))?/;

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

/**
 * A `ts`/`time` value from JSON, logfmt, CSV or a custom pattern: epoch number (any unit), numeric string, ISO text,
 * .NET's `/Date(ms)/`, or the whole value in any shape `leadingTimestamp` reads (Apache's CLF, `12/7/2026 10:15:03 AM`
 * in the stream's `order`, ...) but a time of day alone, which the record's `date` completes (FortiGate's `date=`).
 */
export function parseTimestampValue(v: unknown, order?: DateOrder): number | undefined {
  if (typeof v === 'number') return fromEpoch(v);
  if (typeof v !== 'string' || v.length > 64) return undefined;
  if (/^\d+(?:\.\d+)?$/.test(v)) return fromEpoch(Number(v));
  // .NET's JSON date, as Windows PowerShell 5 writes a DateTime: /Date(1619083102958)/
  const dotnet = /^\/Date\((\d{1,15})(?:[+-]\d{4})?\)\/$/.exec(v);
  if (dotnet) return Number(dotnet[1]);
  const iso = parseIso(v);
  if (iso) return iso.ms;
  const lead = leadingTimestamp(v, order);
  return lead && lead.length === v.length && lead.shape !== 'clock' ? lead.ms : undefined;
}

/** Syslog's `Mar  3 12:00:01` has no year: see yearlessMs. */
export function syslogMs(month: string, day: number, h: number, mi: number, s: number, ms = 0): number | undefined {
  const mo = MONTH_NUMBER[month];
  return mo === undefined ? undefined : yearlessMs(mo, day, h, mi, s, ms);
}

/** A date without a year (syslog, logcat's `03-17`): the current year, or last year when that would be in the future. */
export function yearlessMs(mo: number, day: number, h: number, mi: number, s: number, ms = 0): number | undefined {
  const now = Date.now();
  const year = new Date(now).getUTCFullYear();
  const t = utcMs(year, mo, day, h, mi, s, ms);
  if (t === undefined) return undefined;
  return t > now + 86_400_000 ? utcMs(year - 1, mo, day, h, mi, s, ms) : t;
}

/** HDFS `081109 203615` (yymmdd hhmmss, UTC). */
export function hdfsMs(s: string, at: number): number | undefined {
  const ms = utcMs(
    2000 + digits(s, at, 2),
    digits(s, at + 2, 2),
    digits(s, at + 4, 2),
    digits(s, at + 7, 2),
    digits(s, at + 9, 2),
    digits(s, at + 11, 2),
  );
  return ms === undefined || Number.isNaN(ms) ? undefined : ms;
}

const LEADING_HDFS = /^\d{6} \d{6}(?=\s|$)/;
const SNIFF_CHARS = 64;

/** A timestamp at the start of a line and how many characters it takes (brackets and a trailing comma included). */
export interface LeadingTimestamp {
  /** Milliseconds since the epoch; undefined when the text is a timestamp without a full date (`Mar  3 12:00:01` has one). */
  ms: number | undefined;
  length: number;
  /** The shape, for format detection: iso, slashed (`17/06/09 20:10:40`), compact (`20171223-22:15:29:606`), dotted
   *  (`10.30 16:49:06`), ctime (`Sun Dec 04 04:47:44 2005`), syslog (`Mar  3 12:00:01`), clf, hdfs, epoch, clock
   *  (`12:00:01.123`, a time of day alone), uptime (`[ 3605.118831]`, the kernel's seconds since boot: no ms). */
  shape: 'iso' | 'slashed' | 'compact' | 'dotted' | 'ctime' | 'syslog' | 'clf' | 'hdfs' | 'epoch' | 'clock' | 'uptime';
  bracketed: boolean;
}

const WEEKDAY = `(?:${WEEKDAYS.join('|')})[a-z]*,? `;
const MONTH = `(${MONTHS.join('|')})[a-z]*\\.?`;
const CLOCK = '(\\d{1,2}):(\\d{1,2}):(\\d{1,2})(?:[.,:](\\d{1,9}))?';
const ZONE = '(?: ?(Z|[+-]\\d{2}:?\\d{2}|UTC|GMT))?';
/** AM or PM after a clock (`1:05:09 PM`), a word of its own (a host `pm-db1` is none). */
const MERIDIEM = '(?: ?([AaPp][Mm])(?![\\w-]))?';
const NUMERIC_DATE_BODY = `(\\d{1,2})([/.-])(\\d{1,2})\\2(\\d{4})[ T-]${CLOCK}${MERIDIEM}`;
const NUMERIC_DATE = new RegExp(`^${NUMERIC_DATE_BODY}`);
/** A numeric date anywhere in a line's first DATE_SNIFF_CHARS (a CSV cell, after a level or a bracket). */
const NUMERIC_DATE_IN_LINE = new RegExp(`(?<![\\d/.:-])${NUMERIC_DATE_BODY}`);
const DATE_SNIFF_CHARS = 256;

/**
 * How a stream writes a numeric date with its year last when both of its first numbers are 12 or less: `mdy` as US
 * locales write `12/07/2026`, `dmy` as most others do. A date whose first number is over 12 is day-first whatever
 * this says, one whose second is over 12 month-first.
 */
export type DateOrder = 'dmy' | 'mdy';

function numericDateMs(m: RegExpExecArray, order: DateOrder | undefined): number | undefined {
  const first = +m[1];
  const second = +m[3];
  // Without the stream's order: month first with slashes (US), day first with dots and dashes (31.12.2024).
  const dayFirst = first > 12 || (second <= 12 && (order ?? (m[2] === '/' ? 'mdy' : 'dmy')) === 'dmy');
  return utcMs(
    +m[4],
    dayFirst ? second : first,
    dayFirst ? first : second,
    hour24(m[5], m[9]),
    +m[6],
    +m[7],
    fracMs(m[8]),
  );
}

/** The hour on a 24-hour clock, from a 12-hour one when `meridiem` (AM, PM) is given. */
function hour24(hour: string, meridiem: string | undefined): number {
  return meridiem ? (+hour % 12) + (meridiem.toUpperCase() === 'PM' ? 12 : 0) : +hour;
}

/**
 * The order of a stream's numeric dates, from its first lines: a first number over 12 says `dmy`, a second over 12
 * `mdy`; else the reading under which consecutive lines lie closer in time (`07/12` then `08/12` is one day apart
 * day-first, a month month-first). Undefined when the lines do not tell.
 */
export function dateOrderOf(sample: readonly string[]): DateOrder | undefined {
  let dmy = 0;
  let mdy = 0;
  let prevDay: number | undefined;
  let prevMonth = 0;
  for (const line of sample) {
    const m = NUMERIC_DATE_IN_LINE.exec(line.length > DATE_SNIFF_CHARS ? line.slice(0, DATE_SNIFF_CHARS) : line);
    if (!m) continue;
    if (+m[1] > 12) return 'dmy';
    if (+m[3] > 12) return 'mdy';
    const day = numericDateMs(m, 'dmy');
    const month = numericDateMs(m, 'mdy');
    if (day === undefined || month === undefined) continue;
    if (prevDay !== undefined) {
      dmy += Math.abs(day - prevDay);
      mdy += Math.abs(month - prevMonth);
    }
    prevDay = day;
    prevMonth = month;
  }
  return dmy < mdy ? 'dmy' : mdy < dmy ? 'mdy' : undefined;
}

const LEADING: readonly [
  LeadingTimestamp['shape'],
  RegExp,
  (m: RegExpExecArray, order: DateOrder | undefined) => number | undefined,
][] = [
  // Wed Oct 11 14:32:52.123 2000, Sun Dec 04 04:47:44 2005 (ctime; Apache error log)
  [
    'ctime',
    new RegExp(`^${WEEKDAY}${MONTH} {1,2}(\\d{1,2}) ${CLOCK}(?: (\\d{4}))?${ZONE}`),
    (m) =>
      m[7]
        ? utcMs(+m[7], MONTH_NUMBER[m[1].slice(0, 3)], +m[2], +m[3], +m[4], +m[5], fracMs(m[6]))
        : syslogMs(m[1].slice(0, 3), +m[2], +m[3], +m[4], +m[5], fracMs(m[6])),
  ],
  // 17/06/09 20:10:40 (yy/MM/dd, Spark's log4j default)
  [
    'slashed',
    new RegExp(`^(\\d{2})/(\\d{2})/(\\d{2}) ${CLOCK}`),
    (m) => utcMs(2000 + +m[1], +m[2], +m[3], +m[4], +m[5], +m[6], fracMs(m[7])),
  ],
  // 12/31/2024 23:59:59, 3/1/2024 1:05:09 PM, 31.12.2024 23:59:59, 31-12-2024 23:59:59, 01/16/2018-14:43:07.158100
  // (Suricata's fast.log): day and month in the order their values or the stream's DateOrder say (dateOrderOf)
  ['slashed', NUMERIC_DATE, (m, order) => numericDateMs(m, order)],
  // 20171223-22:15:29:606
  [
    'compact',
    new RegExp(`^(\\d{4})(\\d{2})(\\d{2})[-T ]?${CLOCK}`),
    (m) => utcMs(+m[1], +m[2], +m[3], +m[4], +m[5], +m[6], fracMs(m[7])),
  ],
  // 03-17 16:13:38.811 (MM-dd, Android logcat), 10.30 16:49:06 (MM.dd, Proxifier), 01/16-14:43:07.158100 (MM/dd,
  // Snort's alert_fast)
  [
    'dotted',
    new RegExp(`^(\\d{2})(?:[-.](\\d{2}) |/(\\d{2})-)${CLOCK}`),
    (m) => yearlessMs(+m[1], +(m[2] ?? m[3]), +m[4], +m[5], +m[6], fracMs(m[7])),
  ],
  // Mar  3 12:00:01, Mar  3 2024 12:00:01, Sun, 3 Mar 2024 12:00:01, and Java's default `Mar 19, 2018 6:25:29 PM`
  // (java.util.logging's first line: Jenkins, Tomcat before 8)
  [
    'syslog',
    new RegExp(`^(?:${WEEKDAY})?${MONTH} {1,2}(\\d{1,2})(?:,? (\\d{4}))? ${CLOCK}${MERIDIEM}${ZONE}`),
    (m) =>
      m[3]
        ? utcMs(+m[3], MONTH_NUMBER[m[1].slice(0, 3)], +m[2], hour24(m[4], m[8]), +m[5], +m[6], fracMs(m[7]))
        : syslogMs(m[1].slice(0, 3), +m[2], hour24(m[4], m[8]), +m[5], +m[6], fracMs(m[7])),
  ],
  // 3 Mar 2024 12:00:01, 03-Mar-2024:12:00:01, and without the year: 08 Aug 22:31:42.276 (Redis before 4.0)
  [
    'syslog',
    new RegExp(`^(?:${WEEKDAY})?(\\d{1,2})[ -]${MONTH}(?:[ -](\\d{4}))?[ :]${CLOCK}${ZONE}`),
    (m) =>
      m[3]
        ? utcMs(+m[3], MONTH_NUMBER[m[2].slice(0, 3)], +m[1], +m[4], +m[5], +m[6], fracMs(m[7]))
        : syslogMs(m[2].slice(0, 3), +m[1], +m[4], +m[5], +m[6], fracMs(m[7])),
  ],
  // 12:00:01.123, [15:11:18,649]: a time of day alone (logback's default `HH:mm:ss.SSS`), on today's date
  ['clock', /^([01]\d|2[0-3]):([0-5]\d):([0-5]\d|60)(?:[.,](\d{1,9}))?(?=[ \]]|$)/, (m) => clockMs(m)],
];

/** A time of day without a date, read as today's (UTC): a stream's lines keep their order and gaps but at midnight. */
function clockMs(m: RegExpExecArray): number | undefined {
  const today = new Date();
  return utcMs(today.getUTCFullYear(), today.getUTCMonth() + 1, today.getUTCDate(), +m[1], +m[2], +m[3], fracMs(m[4]));
}

/**
 * The kernel's seconds since boot, right-aligned in brackets (`dmesg`, and the messages of `kernel:` in syslog):
 * no time of day. As text, its width changed the message's words from 1,000 s and 10,000 s on, and with them the
 * template of the same message.
 */
export const KERNEL_UPTIME = /^\[ *(\d{1,10}\.\d{3,9})\] ?/;

const EPOCH_HEAD = /^(\d{10}(?:\d{3}(?:\d{3})?)?(?:\.\d{1,9})?)(?=[\s,|\]]|$)/;

/** A fraction of a second's digits (`123456`) as whole milliseconds. */
export function fracMs(f: string | undefined): number {
  return f ? Number(f.slice(0, 3).padEnd(3, '0')) : 0;
}

/**
 * The timestamp a line starts with, in any of the shapes logs commonly use (ISO 8601 and its cousins, `yy/MM/dd`,
 * `MM/dd/yyyy` or `dd.MM.yyyy` (in the stream's `order`) with or without AM/PM, `yyyyMMdd-HH:mm:ss:SSS`, ctime with
 * weekday, syslog with or without year, day-month-year, CLF, HDFS, epoch seconds/ms/us, a time of day alone),
 * optionally in brackets, with a trailing comma taken along.
 */
export function leadingTimestamp(line: string, order?: DateOrder): LeadingTimestamp | undefined {
  let head = line.length > SNIFF_CHARS ? line.slice(0, SNIFF_CHARS) : line;
  const bracketed = head.charCodeAt(0) === 91;
  if (bracketed) {
    const uptime = KERNEL_UPTIME.exec(head);
    if (uptime) return { ms: undefined, length: uptime[0].length, shape: 'uptime', bracketed };
    head = head.slice(1);
  }
  const found = timestampAt(head, order);
  if (!found) return undefined;
  let length = found.length;
  if (bracketed) {
    if (head.charCodeAt(length) !== 93) return undefined;
    length += 2;
  } else if (head.charCodeAt(length) === 44) length++;
  return { ms: found.ms, length, shape: found.shape, bracketed };
}

function timestampAt(
  head: string,
  order: DateOrder | undefined,
): { ms: number | undefined; length: number; shape: LeadingTimestamp['shape'] } | undefined {
  const first = head.charCodeAt(0);
  if (first >= 48 && first <= 57) {
    const iso = parseIso(head);
    if (iso && !isDigitAt(head, iso.length)) return { ms: iso.ms, length: iso.length, shape: 'iso' };
    if (head.charCodeAt(2) === 47 && head.charCodeAt(6) === 47 && head.length >= 26) {
      const ms = parseClf(head, 0, 26);
      if (ms !== undefined) return { ms, length: 26, shape: 'clf' };
    }
    if (LEADING_HDFS.test(head)) return { ms: hdfsMs(head, 0), length: 13, shape: 'hdfs' };
  }
  for (const [shape, re, toMs] of LEADING) {
    const m = re.exec(head);
    if (m && !isDigitAt(head, m[0].length)) return { ms: toMs(m, order), length: m[0].length, shape };
  }
  const epoch = EPOCH_HEAD.exec(head);
  if (epoch) {
    const ms = fromEpoch(Number(epoch[1]));
    if (ms !== undefined && ms > 631152000000 && ms < 4102444800000)
      return { ms, length: epoch[0].length, shape: 'epoch' };
  }
  return undefined;
}

function isDigitAt(s: string, at: number): boolean {
  const c = s.charCodeAt(at);
  return c >= 48 && c <= 57;
}
