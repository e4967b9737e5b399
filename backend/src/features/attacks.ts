/**
 * Attack payloads in a request: its path, each query parameter (name and value) and the header fields a log keeps
 * (User-Agent, Referer). Every part is normalised first (features/decode.ts: decoded until stable, case folded,
 * white space and SQL comments collapsed), then read by the detectors in features/injection/: SQL injection and
 * XSS by tokenisation, command injection, path traversal, shellshock, log4shell, SSRF, file inclusion and code
 * for template or expression engines by the shape of the payload. A parameter value written in base64 is also read
 * decoded. Each hit names its class, the rule and the decoded fragment ("SQL injection (UNION SELECT):
 * 1' union select …"); the raw line is never changed.
 */
import { detached } from '../parsing/text.js';
import { base64Text, normalise } from './decode.js';
import { detectSqli } from './injection/sqli.js';
import { detectXss } from './injection/xss.js';
import { detectCodeInjection } from './injection/code.js';
import {
  detectCmdi,
  detectLog4shell,
  detectShellshock,
  detectTraversal,
  detectUrlAbuse,
  PROBE,
} from './injection/system.js';

export type AttackCategory =
  'sqli' | 'xss' | 'traversal' | 'cmdi' | 'code' | 'shellshock' | 'log4shell' | 'ssrf' | 'rfi';

export interface AttackHit {
  category: AttackCategory;
  /** The rule that found it, e.g. "UNION SELECT". */
  rule: string;
  /** The decoded fragment it read, e.g. "1' union select …". */
  fragment: string;
}

const ATTACK_NAMES: Record<AttackCategory, string> = {
  sqli: 'SQL injection',
  xss: 'XSS',
  traversal: 'path traversal',
  cmdi: 'command injection',
  code: 'code injection',
  shellshock: 'shellshock',
  log4shell: 'log4shell',
  ssrf: 'SSRF',
  rfi: 'file inclusion',
};

/** Characters of an ordinary path: anything else (or a `..`, a sensitive name, a probe's) sends it to the detectors. */
const PATH_GATE = new RegExp(
  `[^A-Za-z0-9_.\\-~/]|\\.\\.|\\/\\/|etc\\/|passwd|\\.ini\\b|web-inf|\\.git|\\.ht|wp-|proc\\/self|0x[25]|${PROBE.source}`,
  'i',
);
/** Characters of an ordinary query (names, values of word characters, '&', '='); a class loader's chain is not one. */
const QUERY_GATE = /[^A-Za-z0-9_.\-~=&,]|\.\.|classloader/i;
/** A value that may be base64 (the other base64 characters, '+' and '/', pass QUERY_GATE's test already). */
const BASE64_VALUE = /=[A-Za-z0-9_-]{16,}={0,2}(?:&|$)/;

/** An encoded NUL byte, also double-encoded or as an escape. */
const NUL_BYTE = /%(?:25)*00|\\x00|\\u0000/i;

/** Header fields a log keeps that reach a server's code: User-Agent and Referer. */
export interface HeaderFields {
  ua?: string;
  referer?: string;
}

/**
 * Attack hits in a request target (`path` and `query`, or the whole target as `path`) and its header fields, at
 * most one per category. Ordinary requests pass through two regular-expression tests and a few `indexOf`s.
 */
export function attackHits(path: string, query = '', headers?: HeaderFields): AttackHit[] {
  if (!query) {
    const q = path.indexOf('?');
    if (q >= 0) {
      query = path.slice(q + 1);
      path = path.slice(0, q);
    }
  }
  const pathSuspect = PATH_GATE.test(path);
  const querySuspect = query !== '' && (QUERY_GATE.test(query) || BASE64_VALUE.test(query));
  const ua = headers?.ua;
  const referer = headers?.referer;
  const headerSuspect = (ua !== undefined && suspectHeader(ua)) || (referer !== undefined && suspectHeader(referer));
  if (!pathSuspect && !querySuspect && !headerSuspect) return NO_HITS;
  const target = pathSuspect || querySuspect ? targetHits(path, query, pathSuspect, querySuspect) : NO_HITS;
  if (!headerSuspect) return target;
  const hits = [...target];
  const add = adder(hits);
  for (const h of [ua, referer]) {
    if (h === undefined || !suspectHeader(h)) continue;
    const v = normalise(h);
    // A scanner injects into the User-Agent as into a parameter (sqlmap from --level 3, Acunetix): the agent is read
    // as SQL and HTML too. A Referer is a URL, whose own query was read on the request that carried it.
    if (h === ua) {
      const sql = detectSqli(v);
      if (sql) add('sqli', sql.rule, sql.fragment);
      const xss = detectXss(v);
      if (xss) add('xss', xss.rule, xss.fragment);
    }
    const s = detectShellshock(v);
    if (s) add('shellshock', s.rule, s.fragment);
    const l = detectLog4shell(v);
    if (l) add('log4shell', l.rule, l.fragment);
    const c = detectCodeInjection(v);
    if (c) add('code', c.rule, c.fragment);
  }
  return hits.length ? hits : NO_HITS;
}
const NO_HITS: AttackHit[] = [];

/**
 * The verdicts on recent suspicious targets: a log repeats its URLs (a popular search, a scanner's probe sent again),
 * and reading one through every decoder and detector costs 10-20 µs. Callers never change a returned array.
 */
const recent = new Map<string, AttackHit[]>();
const RECENT = 4096;

function targetHits(path: string, query: string, pathSuspect: boolean, querySuspect: boolean): AttackHit[] {
  const key = `${path}\u0001${query}`;
  const known = recent.get(key);
  if (known !== undefined) return known;
  const hits: AttackHit[] = [];
  const add = adder(hits);
  if (pathSuspect) {
    const p = normalise(path);
    const t = detectTraversal(p, false);
    if (t) add('traversal', t.rule, t.fragment);
    // A path is read as SQL only when it holds a quote or a space (a decoded one): segments are words otherwise.
    if (/['" ]/.test(p)) {
      const sql = detectSqli(p);
      if (sql) add('sqli', sql.rule, sql.fragment);
    }
    readValue(p, add, false);
  }
  if (querySuspect) {
    for (const raw of splitQuery(query)) {
      const eq = raw.indexOf('=');
      const name = eq < 0 ? '' : normalise(raw.slice(0, eq));
      const rawValue = eq < 0 ? raw : raw.slice(eq + 1);
      const value = normalise(rawValue);
      if (name && QUERY_GATE.test(name)) readValue(name, add, true);
      if (!value) continue;
      readParam(value, add);
      const decoded = base64Text(rawValue);
      if (decoded !== undefined)
        readParam(normalise(decoded), (c, rule, fragment) => add(c, `${rule}, base64`, fragment));
    }
  }
  // NUL has no place in a URL (OWASP CRS 920270): C and old PHP cut a file name at it (`shell.php%00.png`). Read
  // before normalising, which drops it.
  for (const part of [path, query]) {
    const nul = NUL_BYTE.exec(part);
    if (nul) add('traversal', 'NUL byte', part.slice(Math.max(0, nul.index - 20), nul.index + 20));
  }
  // Cached strings must not hold the input chunk their text was sliced from (see detached).
  for (const h of hits) h.fragment = detached(h.fragment);
  const out = hits.length ? hits : NO_HITS;
  if (recent.size >= RECENT) recent.clear();
  recent.set(detached(key), out);
  return out;
}

function adder(hits: AttackHit[]): Add {
  return (category, rule, fragment) => {
    if (!hits.some((h) => h.category === category)) hits.push({ category, rule, fragment });
  };
}

type Add = (category: AttackCategory, rule: string, fragment: string) => void;

/** Every detector on one normalised parameter value. */
function readParam(value: string, add: Add): void {
  const t = detectTraversal(value, true);
  if (t) add('traversal', t.rule, t.fragment);
  readValue(value, add, true);
}

/** Every detector but traversal on one normalised part. */
function readValue(v: string, add: Add, param: boolean): void {
  const sql = param ? detectSqli(v) : undefined;
  if (sql) add('sqli', sql.rule, sql.fragment);
  const xss = detectXss(v);
  if (xss) add('xss', xss.rule, xss.fragment);
  const cmd = detectCmdi(v);
  if (cmd) add('cmdi', cmd.rule, cmd.fragment);
  const code = detectCodeInjection(v);
  if (code) add('code', code.rule, code.fragment);
  if (v.includes('(')) {
    const s = detectShellshock(v);
    if (s) add('shellshock', s.rule, s.fragment);
  }
  if (v.includes('${')) {
    const l = detectLog4shell(v);
    if (l) add('log4shell', l.rule, l.fragment);
  }
  if (param) {
    const u = detectUrlAbuse(v);
    if (u) add(u.category, u.rule, u.fragment);
  }
}

/**
 * A header worth decoding: it holds a `()` (shellshock), a `$` (a lookup), a quote or a `<` (SQL, HTML), or '%', '\\'
 * or '&' (escapes that could hide them). Browsers' user agents hold none of these.
 */
export function suspectHeader(h: string): boolean {
  return HEADER_GATE.test(h);
}
const HEADER_GATE = /[$%\\&'"<]|\(\s*\)/;

/**
 * The raw `name=value` pairs of a query: split at '&', except an '&' that starts an HTML character reference
 * (`&#46;`, `&lt;`), which belongs to the value (attackers use references to hide characters).
 */
export function splitQuery(query: string): string[] {
  if (!query.includes('&')) return [query];
  const out: string[] = [];
  let start = 0;
  for (let i = query.indexOf('&'); i >= 0; i = query.indexOf('&', i + 1)) {
    if (/^&(?:#x?[0-9a-f]+;?|[a-z]{2,8};)/i.test(query.slice(i, i + 12))) continue;
    out.push(query.slice(start, i));
    start = i + 1;
  }
  out.push(query.slice(start));
  return out;
}

export function describeAttack(hit: AttackHit): string {
  return `${ATTACK_NAMES[hit.category]} (${hit.rule}): ${hit.fragment}`;
}
