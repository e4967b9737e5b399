import type { FormatName, ParsedLine } from '../types.js';
import { normalizeLevel, sniffLevel } from './level.js';
import { skipSpaces } from './text.js';
import { fracMs, leadingTimestamp, yearlessMs, type DateOrder, type LeadingTimestamp } from './timestamp.js';

/**
 * Application log headers: a leading timestamp, then some of level, process id, thread or context in brackets, and a
 * logger/component name, then the message. One scanner reads them all; the format a line belongs to follows from
 * the pieces it has:
 * - `log4j`: log4j/logback/Python logging/Spark/Zookeeper (`2015-10-18 18:01:47,978 INFO [main] org.x.Y: msg`,
 *   `2015-07-29 17:41:44,747 - INFO  [thread@774] - msg`, `17/06/09 20:10:40 INFO x.Y: msg`,
 *   `2024-03-01 12:00:00.123 [main] INFO  c.x.Y - msg` (or logback's default, the time of day alone), Spring Boot's `... INFO 12345 --- [main] c.x.Y : msg`,
 *   the level first: `INFO  2024-03-01 12:00:00,123 [main] c.x.Y: msg`, Cassandra's `INFO  [main] 2024-03-01
 *   12:00:00,123 Daemon.java:123 - msg`, Elasticsearch's `[2024-03-01T12:00:00,123][INFO ][o.e.n.Node] [n1] msg`,
 *   PostgreSQL's `2024-03-01 12:00:00.123 UTC [123] LOG:  msg`, Ruby's `I, [2024-03-01T12:00:00.123 #12]  INFO -- : msg`);
 * - `openstack`: oslo.log (`2017-05-16 00:00:00.008 25746 INFO nova.x.y [req-... ...] msg`), optionally after the
 *   log file's name as loghub concatenates them;
 * - `windows-cbs`: Windows CBS/CSI (`2016-09-28 04:30:30, Info                  CBS    msg`);
 * - `apache-error`: Apache/Nginx error logs (`[Sun Dec 04 04:47:44 2005] [error] msg`,
 *   `[Wed Oct 11 14:32:52.123 2000] [core:error] [pid 35708:tid 4328] [client 1.2.3.4:5] msg`,
 *   `2024/03/01 12:00:00 [error] 123#0: *5 msg`);
 * - `pipe`: pipe-separated headers (`20171223-22:15:29:606|Step_LSC|30002312|msg`);
 * - `proxifier`: a bracketed time, a program and a dash (`[10.30 16:49:06] chrome.exe - msg`);
 * - `logcat`: Android's `threadtime` format (`03-17 16:13:38.811  1702  2395 D WindowManager: msg`);
 * - `klog`: Kubernetes' components (`I0301 12:00:00.123456       1 main.go:42] msg`);
 * - `timestamped`: anything else after an ISO-8601, epoch or other recognised timestamp (level sniffed), and Samba's
 *   debug headers (`[2017/09/06 16:16:32.386013,  1] ../source3/param/loadparm.c:2375(lp_idmap_range)`).
 */
export const HEADER_FORMATS = [
  'log4j',
  'openstack',
  'windows-cbs',
  'apache-error',
  'pipe',
  'proxifier',
  'logcat',
  'klog',
  'timestamped',
] as const;
export type HeaderFormat = (typeof HEADER_FORMATS)[number];

const HEAD_CHARS = 512;
const LOGCAT = /^(\d+) +(\d+) +([VDIWEFA]) ([^:]{1,128}?): /;
const LOGCAT_LEVELS: Record<string, string> = {
  V: 'debug',
  D: 'debug',
  I: 'info',
  W: 'warn',
  E: 'error',
  F: 'fatal',
  A: 'fatal',
};
const LEVEL_WORD =
  /^(?:TRACE|DEBUG|INFO|NOTICE|NOTE|LOG|WARN|WARNING|ERROR|ERR|SEVERE|CRIT|CRITICAL|FATAL|ALERT|EMERG|PANIC|FINE|FINER|FINEST|Trace|Debug|Info|Notice|Note|Warn|Warning|Error|Severe|Critical|Fatal|trace|debug|info|notice|warn|warning|error|crit|fatal|emerg|alert)$/;
const LOGGER = /^[A-Za-z_$][\w$-]*(?:\.[\w$-]+)+$|^[A-Za-z_$][\w$-]*\$[\w$]+$/;
/** A process id: a bare number in the header (oslo's, Spring Boot's) or a bracketed one (PostgreSQL's `[123]`). */
const PID = /^\d{1,10}$/;
const FILE_PREFIX = /^\S*\.log[\w.:-]* /;
/** The level first, maybe a thread before the timestamp: `INFO  2024-...`, `ERROR [Compaction:1] 2024-...`. */
const LEVEL_LEAD = /^([A-Za-z]+) +(?:\[([^\]]{1,64})\] +)?/;
/** Ruby's Logger: `I, [2024-03-01T12:00:00.123456 #1234]  INFO -- progname: msg` (the pid closes the bracket). */
const RUBY_LEAD = /^[DIWEFAU], \[/;
const RUBY_PID = /^(?: #(\d+))?\]/;
/** macOS's unified log as `log show` prints it: thread, type, activity, pid, TTL, then the process before `: `. */
const UNIFIED_LOG = /^(0x[0-9a-f]+) +(Default|Info|Debug|Error|Fault) +0x[0-9a-f]+ +(\d+) +\d+ +([^\s:][^:]{0,63}): /;
const UNIFIED_LEVELS: Record<string, string> = {
  Default: 'info',
  Info: 'info',
  Debug: 'debug',
  Error: 'error',
  Fault: 'fatal',
};
/** klog: level letter, MMdd, time, thread id, source file and line, `]`. */
const KLOG = /^([IWEF])(\d\d)(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))? +(\d+) ([^\s\]]{1,128}:\d+)\] /;
const KLOG_LEVELS: Record<string, string> = { I: 'info', W: 'warn', E: 'error', F: 'fatal' };
/** A zone right after the time (PostgreSQL's `12:00:00.123 UTC`): a name, kept as UTC, or an offset, applied. */
const ZONE =
  /^ (?:UTC|GMT|Z|[PMCE][SD]T|AK[SD]T|HST|AE[SD]T|NZ[SD]T|BST|IST|JST|KST|MSK|CES?T|EES?T|WES?T|([+-])(\d\d):?(\d\d))(?= )/;
/** A source file and line for the logger: Cassandra's `CassandraDaemon.java:123`. */
const SOURCE_LINE = /^[A-Za-z_$][\w$.-]*\.[A-Za-z]{1,6}:\d+$/;
/** A bracketed logger with two dots or more (Elasticsearch's `[o.e.n.Node   ]`); `[main]` or `[pool-1.x]` is a thread. */
const BRACKET_LOGGER = /^[A-Za-z_$][\w$]*(?:\.[\w$]+){2,}$/;
/** Redis: `1:M 01 Mar 2024 12:00:00.123 * msg`: pid, role, time, a level mark (`.` `-` debug, `*` info, `#` warn). */
const REDIS_PREFIX = /^(\d+):([XCSM]) /;
const REDIS_LEVELS: Record<string, string> = { '.': 'debug', '-': 'debug', '*': 'info', '#': 'warn' };
/**
 * MongoDB's text log (before 4.4's JSON): `2018-02-17T15:14:44.140+0800 I CONTROL  [initandlisten] msg`: a severity
 * letter (`D1`..`D5` for debug), the component (`-` for none), the context in brackets.
 */
const MONGO = /([FEWI]|D[1-5]?) +([A-Z]+|-) +\[([^\]]{1,64})\] /y;
const MONGO_CHARS = 96;
const MONGO_LEVELS: Record<string, string> = { F: 'fatal', E: 'error', W: 'warn', I: 'info', D: 'debug' };

/**
 * Samba's debug header: `[2017/09/06 16:16:32.386013,  1] ../source3/param/loadparm.c:2375(lp_idmap_range)`, maybe
 * with `, pid=123, ...` in the bracket; the number is Samba's debug level (0 errors, 1 warnings, 2 notices, 3 and up
 * debugging). The source location is its message; the text comes on the indented lines after it.
 */
const SAMBA = /^\[(\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d(?:\.\d{1,9})?), +(\d{1,2})(?:, [^\]]{0,160})?\] /;
const SAMBA_LEVELS = ['error', 'warn', 'info'];

/** The header parse of one line, or undefined when it has no leading timestamp. */
export function parseHeader(line: string, order?: DateOrder): (ParsedLine & { format: HeaderFormat }) | undefined {
  const head = line.length > HEAD_CHARS ? line.slice(0, HEAD_CHARS) : line;
  const klog = KLOG.exec(head);
  if (klog) return klogLine(line, klog);
  const samba = head.charCodeAt(0) === 91 ? SAMBA.exec(head) : null;
  if (samba)
    return {
      ts: leadingTimestamp(samba[1])?.ms,
      level: SAMBA_LEVELS[+samba[2]] ?? 'debug',
      fields: {},
      message: line.slice(samba[0].length),
      raw: line,
      format: 'timestamped',
    };
  let at = 0;
  const fields: Record<string, string> = {};
  let level: string | undefined;
  let levelFirst = false;
  // The level before the timestamp (`INFO  2024-03-01 ...`), Ruby's level letter, or the log file's name (loghub's
  // OpenStack) or Redis's pid and role.
  const lead = LEVEL_LEAD.exec(head);
  const ruby = RUBY_LEAD.test(head);
  if (lead && LEVEL_WORD.test(lead[1]) && leadingTimestamp(head.slice(lead[0].length))) {
    level = lead[1];
    if (lead[2] !== undefined) fields.thread = lead[2];
    levelFirst = true;
    at = lead[0].length;
  } else if (ruby) {
    at = 4;
  } else {
    const prefix = FILE_PREFIX.exec(head) ?? REDIS_PREFIX.exec(head);
    if (prefix && !leadingTimestamp(head) && leadingTimestamp(head.slice(prefix[0].length))) {
      if (prefix[2] === undefined) fields.file = prefix[0].trim();
      else {
        fields.pid = prefix[1];
        fields.role = prefix[2];
      }
      at = prefix[0].length;
    }
  }
  const ts = leadingTimestamp(at ? head.slice(at) : head, order);
  if (!ts) return undefined;
  at += ts.length;
  let ms = ts.ms;
  if (ruby) {
    const m = RUBY_PID.exec(head.slice(at));
    if (!m) return undefined;
    if (m[1] !== undefined) fields.pid = m[1];
    at += m[0].length;
  }
  const zone = ts.bracketed ? null : ZONE.exec(head.slice(at, at + 8));
  if (zone) {
    if (zone[1] !== undefined && ms !== undefined)
      ms -= (zone[1] === '-' ? -1 : 1) * (+zone[2] * 60 + +zone[3]) * 60_000;
    at += zone[0].length;
  }
  const out = (format: HeaderFormat, messageAt: number, lvl = level): ParsedLine & { format: HeaderFormat } => ({
    ts: ms,
    level: lvl === undefined ? undefined : (normalizeLevel(lvl) ?? lvl),
    fields,
    message: line.slice(skipSpaces(line, messageAt)),
    raw: line,
    format,
  });

  // pipe: ts|component|pid|message
  if (line.charCodeAt(at) === 124) {
    const parts: string[] = [];
    let p = at + 1;
    while (parts.length < 3) {
      const bar = head.indexOf('|', p);
      if (bar < 0 || bar - p > 64 || head.slice(p, bar).includes(' ')) break;
      parts.push(head.slice(p, bar));
      p = bar + 1;
    }
    if (parts.length === 0) return undefined;
    for (const part of parts) {
      if (!level && LEVEL_WORD.test(part)) level = part;
      else if (/^\d+$/.test(part) && fields.pid === undefined) fields.pid = part;
      else if (fields.component === undefined) fields.component = part;
      else fields.thread = part;
    }
    return out('pipe', p, level ?? sniffLevel(line.slice(p, p + 40)));
  }

  let p = skipSpaces(head, at);
  if (fields.role !== undefined && REDIS_LEVELS[head[p]] && head[p + 1] === ' ')
    return out('timestamped', p + 2, REDIS_LEVELS[head[p]]);
  if (ts.shape === 'iso') {
    // Sticky, from the end of the time: every ISO line is asked, and most fail at their first character, copying none.
    MONGO.lastIndex = p;
    const m = MONGO.exec(head);
    if (m && m[0].length <= MONGO_CHARS) {
      if (m[2] !== '-') fields.component = m[2];
      fields.context = m[3];
      return out('timestamped', p + m[0].length, MONGO_LEVELS[m[1][0]]);
    }
  }
  // Kubernetes' container log (CRI): `2024-03-01T12:00:00.123456789Z stdout F msg` (F a full line, P a part)
  {
    const m = /^(stdout|stderr) [FP] /.exec(head.slice(p, p + 10));
    if (m && ts.shape === 'iso') {
      fields.stream = m[1];
      p += m[0].length;
    }
  }
  // Android logcat (threadtime): `03-17 16:13:38.811  1702  2395 D WindowManager: msg`
  {
    const m = LOGCAT.exec(head.slice(p));
    if (m) {
      fields.pid = m[1];
      fields.tid = m[2];
      fields.component = m[4].trimEnd();
      return out('logcat', p + m[0].length, LOGCAT_LEVELS[m[3]]);
    }
  }
  // macOS's unified log (`log show`): `2024-03-01 12:00:00.123456+0100 0x1a2b  Error  0x0  456  0  WindowServer: msg`
  {
    const m = UNIFIED_LOG.exec(head.slice(p));
    if (m && ts.shape === 'iso') {
      fields.tid = m[1];
      fields.pid = m[3];
      fields.component = m[4];
      return out('timestamped', p + m[0].length, UNIFIED_LEVELS[m[2]]);
    }
  }
  // proxifier: [time] program - message
  if (ts.bracketed && ts.shape === 'dotted') {
    const m = /^(\S+)(?: \*(\d+))? - /.exec(head.slice(p));
    if (m) {
      fields.program = m[1];
      if (m[2]) fields.bits = m[2];
      return out('proxifier', p + m[0].length, sniffLevel(line.slice(p + m[0].length, p + m[0].length + 80)));
    }
  }
  // windows-cbs: `ts, Level   Component   message`
  if (head.charCodeAt(at - 1) === 44) {
    const m = /^([A-Za-z]+) +(?:([A-Za-z][\w-]{0,31})(?: {2,}|$))?/.exec(head.slice(p));
    if (m && LEVEL_WORD.test(m[1])) {
      if (m[2]) fields.component = m[2];
      return out('windows-cbs', p + m[0].length, m[1]);
    }
  }
  // nginx error log: `2024/03/01 12:00:00 [error] 123#0: *5 msg`
  {
    const m = /^\[(\w+)\] (\d+)#(\d+): (?:\*(\d+) )?/.exec(head.slice(p));
    if (m && LEVEL_WORD.test(m[1])) {
      fields.pid = m[2];
      fields.tid = m[3];
      if (m[4]) fields.connection = m[4];
      return out('apache-error', p + m[0].length, m[1]);
    }
  }

  // apache-error: bracketed parts after the time: [level] or [module:level], [pid N:tid M], [client ip:port]
  if (head.charCodeAt(p) === 91) {
    const first = bracketEnd(head, p);
    const inner = first > 0 ? head.slice(p + 1, first) : '';
    const lv = /^(?:([\w-]+):)?(\w+)$/.exec(inner);
    if (lv && LEVEL_WORD.test(lv[2]) && (ts.shape === 'ctime' || ts.shape === 'iso' || ts.bracketed)) {
      level = lv[2];
      if (lv[1]) fields.module = lv[1];
      p = skipSpaces(head, first + 1);
      for (let k = 0; k < 3 && head.charCodeAt(p) === 91; k++) {
        const end = bracketEnd(head, p);
        if (end < 0) break;
        const part = head.slice(p + 1, end);
        const m = /^(pid|client|remote|tid) (.*)$/.exec(part);
        if (!m) break;
        fields[m[1]] = m[2];
        p = skipSpaces(head, end + 1);
      }
      if (ts.bracketed || ts.shape === 'ctime') return out('apache-error', p);
    }
  }
  // log4j and relatives: a sequence of header pieces.
  let pidBeforeLevel = false;
  for (let step = 0; step < 8 && p < head.length; step++) {
    const c = head.charCodeAt(p);
    const dashes = head.startsWith('---', p) ? 3 : head.startsWith('-- ', p) ? 2 : 1;
    if ((c === 45 || c === 124 || c === 58) && (head.charCodeAt(p + 1) === 32 || dashes > 1)) {
      // a separator: `-`, `|`, `:`, `--`, `---`; after the level and a thread or logger name, the message follows
      p = skipSpaces(head, p + dashes);
      if (level !== undefined && (fields.thread !== undefined || fields.component !== undefined)) break;
      continue;
    }
    if (c === 91) {
      const end = bracketEnd(head, p);
      if (end < 0) break;
      const inner = head.slice(p + 1, end);
      const word = inner.trim();
      if (level === undefined && LEVEL_WORD.test(word)) level = word;
      else if (fields.pid === undefined && PID.test(word)) fields.pid = word;
      else if (fields.component === undefined && BRACKET_LOGGER.test(word)) fields.component = word;
      else if (fields.component === undefined && fields.thread === undefined) fields.thread = inner;
      else if (fields.context === undefined) fields.context = inner;
      else break;
      p = skipSpaces(head, end + 1);
      if (fields.context !== undefined) break;
      continue;
    }
    let end = head.indexOf(' ', p);
    if (end < 0) end = head.length;
    const word = head.slice(p, end);
    if (level === undefined && LEVEL_WORD.test(word)) {
      level = word;
      p = skipSpaces(head, end);
      continue;
    }
    // PostgreSQL's `LOG:  msg`, `ERROR:  msg`: an upper-case level and a colon, then the message
    if (level === undefined && /^[A-Z]+:$/.test(word) && LEVEL_WORD.test(word.slice(0, -1))) {
      level = word.slice(0, -1);
      p = skipSpaces(head, end);
      break;
    }
    if (level === undefined && PID.test(word) && fields.pid === undefined) {
      fields.pid = word;
      pidBeforeLevel = true;
      p = skipSpaces(head, end);
      continue;
    }
    if (level === undefined) break;
    if (
      fields.component === undefined &&
      word.length > 1 &&
      word.endsWith(':') &&
      LOGGER_OR_NAME.test(word.slice(0, -1))
    ) {
      fields.component = word.slice(0, -1);
      p = skipSpaces(head, end);
      break;
    }
    if (fields.component === undefined && (LOGGER.test(word) || SOURCE_LINE.test(word))) {
      fields.component = word;
      p = skipSpaces(head, end);
      continue;
    }
    if (PID.test(word) && fields.pid === undefined && fields.component === undefined) {
      fields.pid = word;
      p = skipSpaces(head, end);
      continue;
    }
    break;
  }
  if (level === undefined || normalizeLevel(level) === undefined) {
    return out('timestamped', p, sniffLevel(line.slice(p, p + 80)));
  }
  if (fields.thread && fields.component === undefined) {
    const comp = /([A-Za-z_$][\w$.]*)(?:@\d+)?$/.exec(fields.thread.split(':').pop() ?? '');
    if (comp && /@\d+$/.test(fields.thread)) fields.component = comp[1];
  }
  const oslo =
    pidBeforeLevel &&
    !levelFirst &&
    fields.component !== undefined &&
    (fields.thread !== undefined || fields.file !== undefined);
  if (oslo && fields.thread !== undefined) {
    fields.context = fields.thread;
    delete fields.thread;
  }
  return out(oslo ? 'openstack' : 'log4j', p);
}

const LOGGER_OR_NAME = /^[A-Za-z_$][\w$.()\-/]*(?:\[\w+\])?$/;

function klogLine(line: string, m: RegExpExecArray): ParsedLine & { format: HeaderFormat } {
  return {
    ts: yearlessMs(+m[2], +m[3], +m[4], +m[5], +m[6], fracMs(m[7])),
    level: KLOG_LEVELS[m[1]],
    fields: { tid: m[8], component: m[9] },
    message: line.slice(skipSpaces(line, m[0].length)),
    raw: line,
    format: 'klog',
  };
}

/** Index of the `]` closing the bracket at s[from], one level of nesting allowed; -1 when none. */
function bracketEnd(s: string, from: number): number {
  let depth = 0;
  for (let i = from; i < s.length && i < from + 256; i++) {
    const c = s.charCodeAt(i);
    if (c === 91) depth++;
    else if (c === 93 && --depth === 0) return i;
  }
  return -1;
}

/**
 * Parses a line only when it has this header format. A `timestamped` stream may be java.util.logging's two-line
 * records (Jenkins, Tomcat before 8): `Mar 19, 2018 6:25:29 PM hudson.model.AsyncPeriodicWork$1 run` then `WARNING:
 * message`; the second line is read with its level, at the first one's time.
 */
export function headerParser(format: HeaderFormat, order?: DateOrder): (line: string) => ParsedLine | undefined {
  let lastTs: number | undefined;
  return (line) => {
    const p = parseHeader(line, order);
    if (!p) return format === 'timestamped' ? julMessage(line, lastTs) : undefined;
    lastTs = p.ts;
    if (p.format === format) return p;
    // A line of a related shape still gives its timestamp and level; the format says what it is.
    return compatible(format, p.format) ? p : undefined;
  };
}

/** java.util.logging's message line: its level, a colon, the message. */
const JUL_MESSAGE = /^(SEVERE|WARNING|INFO|CONFIG|FINE|FINER|FINEST): /;

function julMessage(line: string, ts: number | undefined): ParsedLine | undefined {
  const m = JUL_MESSAGE.exec(line);
  if (!m) return undefined;
  return {
    ts,
    level: normalizeLevel(m[1]),
    fields: {},
    message: line.slice(m[0].length),
    raw: line,
    format: 'timestamped',
  };
}

/** Shapes that occur in one stream: a log4j stream has timestamped continuation lines, oslo has log4j-like ones. */
function compatible(stream: HeaderFormat, line: HeaderFormat): boolean {
  if (line === 'timestamped') return stream !== 'timestamped';
  return (stream === 'openstack' && line === 'log4j') || (stream === 'log4j' && line === 'openstack');
}

export type { LeadingTimestamp };
export function isHeaderFormat(f: FormatName): f is HeaderFormat {
  return (HEADER_FORMATS as readonly string[]).includes(f);
}
