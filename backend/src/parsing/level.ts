/** The five levels, lowest first: a level's index is its rank in feature rows. */
export const LEVELS = ['debug', 'info', 'warn', 'error', 'fatal'] as const;
export type Level = (typeof LEVELS)[number];

const NAMES: Record<string, Level> = {
  trace: 'debug',
  trc: 'debug',
  t: 'debug',
  debug: 'debug',
  dbg: 'debug',
  d: 'debug',
  verbose: 'debug',
  v: 'debug',
  fine: 'debug',
  finer: 'debug',
  finest: 'debug',
  config: 'debug',
  info: 'info',
  inf: 'info',
  i: 'info',
  information: 'info',
  informational: 'info',
  notice: 'info',
  note: 'info',
  n: 'info',
  log: 'info',
  warn: 'warn',
  warning: 'warn',
  wrn: 'warn',
  w: 'warn',
  error: 'error',
  err: 'error',
  e: 'error',
  severe: 'error',
  failure: 'error',
  fatal: 'fatal',
  ftl: 'fatal',
  f: 'fatal',
  critical: 'fatal',
  crit: 'fatal',
  panic: 'fatal',
  emerg: 'fatal',
  emergency: 'fatal',
  alert: 'fatal',
};

/** Syslog severities 0..7 (RFC 5424). */
const SYSLOG: readonly Level[] = ['fatal', 'fatal', 'fatal', 'error', 'warn', 'info', 'info', 'debug'];

/** The last level read and its reading: a stream repeats a few spellings, and reading one costs a few lookups. */
const last: { text: string; level: Level | undefined } = { text: '', level: undefined };

/**
 * One of five levels for the many spellings logs use ('ERR', 'E', 'SEVERE', 'Warning', pino's 50, syslog's 3, ...);
 * undefined when the value is not a level.
 */
export function normalizeLevel(level: string | number | undefined): Level | undefined {
  if (typeof level === 'number') return numericLevel(level);
  if (!level) return undefined;
  if (level === last.text) return last.level;
  const hit = NAMES[level] ?? NAMES[level.trim().toLowerCase()];
  last.text = level;
  last.level = hit ?? (/^\d{1,2}$/.test(level) ? numericLevel(Number(level)) : undefined);
  return last.level;
}

/** Syslog severity below 8, pino/bunyan scale (10 trace ... 60 fatal) above. */
function numericLevel(n: number): Level | undefined {
  if (!Number.isInteger(n) || n < 0) return undefined;
  if (n < 8) return SYSLOG[n];
  if (n >= 60) return 'fatal';
  if (n >= 50) return 'error';
  if (n >= 40) return 'warn';
  if (n >= 30) return 'info';
  return n >= 10 ? 'debug' : undefined;
}

/** Rank of a level in LEVELS (debug 0 ... fatal 4); a missing or unknown level counts as info. */
export function levelRank(level: string | undefined): number {
  const l = normalizeLevel(level);
  return l ? LEVELS.indexOf(l) : 1;
}

/** The level of a web request from its status: 5xx error, 4xx warn, anything else info. */
export function levelOfStatus(status: string): Level {
  const c = status.charCodeAt(0);
  return c === 53 ? 'error' : c === 52 ? 'warn' : 'info';
}

const LEVEL_WORD =
  /(?:^|[\s[(<|:])(TRACE|DEBUG|INFO|NOTICE|WARN(?:ING)?|ERROR|ERR|CRIT(?:ICAL)?|FATAL|SEVERE|PANIC|EMERG|ALERT|trace|debug|info|notice|warn(?:ing)?|error|fatal|critical)(?=$|[\s\])>|:,])/;
const SNIFF_CHARS = 160;

/**
 * Cisco's message code, `%FACILITY-SEVERITY-MNEMONIC:` (IOS `%LINK-3-UPDOWN:`, ASA `%ASA-6-106100:`, NX-OS): its
 * severity is syslog's 0-7.
 */
const CISCO_CODE = /%[A-Z][A-Z0-9_]{0,31}-([0-7])-[A-Z0-9_]{1,40}:/;

/** The X server's message marks (Xorg.0.log): `(EE)` an error, `(WW)` a warning, `(II)` information. */
const XORG_MARK = /^\((EE|WW|II)\) /;
const XORG_LEVELS: Record<string, Level> = { EE: 'error', WW: 'warn', II: 'info' };

/**
 * The first level word near the start of a free-text line (`ERROR`, `[warn]`, ...), or a Cisco code's severity, or the
 * X server's mark the message starts with.
 */
export function sniffLevel(line: string): Level | undefined {
  const head = line.length > SNIFF_CHARS ? line.slice(0, SNIFF_CHARS) : line;
  const m = LEVEL_WORD.exec(head);
  if (m) return normalizeLevel(m[1]);
  const xorg = head.charCodeAt(0) === 40 ? XORG_MARK.exec(head) : null;
  if (xorg) return XORG_LEVELS[xorg[1]];
  const cisco = head.includes('%') ? CISCO_CODE.exec(head) : null;
  return cisco ? numericLevel(Number(cisco[1])) : undefined;
}
