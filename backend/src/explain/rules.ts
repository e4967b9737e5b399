/**
 * Rule evidence that needs no training: attack patterns in a request, user-agent classes, level words and keywords
 * in system messages. Each hit carries the text a person reads ("SQL injection pattern: UNION SELECT").
 */

export type AttackCategory = 'sqli' | 'xss' | 'traversal' | 'cmdi';

export interface AttackHit {
  category: AttackCategory;
  /** The matched pattern as shown to a person, e.g. "UNION SELECT". */
  pattern: string;
}

const ATTACK_NAMES: Record<AttackCategory, string> = {
  sqli: 'SQL injection',
  xss: 'XSS',
  traversal: 'path traversal',
  cmdi: 'command injection',
};

/** `pattern` names what matched; `quote` shows the matched text itself instead (e.g. "/etc/shadow"). */
const ATTACK_PATTERNS: { category: AttackCategory; pattern: string; re: RegExp; quote?: boolean }[] = [
  { category: 'sqli', pattern: 'UNION SELECT', re: /\bunion(?:\s|\/\*.*?\*\/)+(?:all\s+)?select\b/i },
  { category: 'sqli', pattern: 'OR 1=1', re: /\b(?:or|and)\s+'?(\d+)'?\s*=\s*'?\1\b/i },
  { category: 'sqli', pattern: "' OR '", re: /'\s*(?:or|and)\s+'/i },
  { category: 'sqli', pattern: 'SQL comment after quote', re: /'\s*(?:--|#|\/\*)/ },
  { category: 'sqli', pattern: 'DROP TABLE', re: /;\s*drop\s+table\b/i },
  { category: 'sqli', pattern: 'SLEEP()', re: /\b(?:sleep|benchmark|pg_sleep)\s*\(\s*\d/i },
  { category: 'sqli', pattern: 'information_schema', re: /\binformation_schema\b/i },
  { category: 'xss', pattern: '<script>', re: /<\s*script\b/i },
  { category: 'xss', pattern: 'javascript: URL', re: /javascript\s*:/i },
  { category: 'xss', pattern: 'event handler attribute', re: /<[^>]*\bon(?:error|load|mouseover|focus|click)\s*=/i },
  { category: 'xss', pattern: 'document.cookie', re: /document\s*\.\s*cookie/i },
  { category: 'traversal', pattern: '../', re: /\.\.[/\\]/ },
  { category: 'traversal', pattern: '/etc/passwd', re: /\/etc\/(?:passwd|shadow|hosts)\b/i, quote: true },
  { category: 'traversal', pattern: 'sensitive file probe', re: /(?:^|\/)(?:\.env|\.git\/|\.htaccess|wp-login\.php|wp-admin|phpmyadmin|web\.config)\b/i, quote: true },
  { category: 'cmdi', pattern: 'shell command after separator', re: /(?:;|\||&&|%0a)\s*(?:cat|ls|id|whoami|uname|wget|curl|nc|bash|sh|rm|ping)\b/i },
  { category: 'cmdi', pattern: 'command substitution', re: /`[^`]+`|\$\([^)]+\)/ },
  { category: 'cmdi', pattern: 'cmd= parameter', re: /(?:^|[?&])(?:cmd|exec|command)=/i },
];

/**
 * Cheap gate: a request without any of these characters or words cannot match a pattern above. The words are
 * grouped by their first letters (the same words, one case-insensitive pass that tries fewer branches per position).
 */
const ATTACK_GATE =
  /['"<>;|`$\\%]|\.(?:\.|env|git)|union|s(?:elect|cript|leep)|javascript|c(?:ookie|md=|ommand=)|e(?:tc\/|xec=)|htaccess|w(?:p-|eb\.config)|phpmyadmin|benchmark|information_schema|\b(?:or|and)\b/i;

/** Percent-decodes twice (double encoding is a common evasion) and turns '+' into spaces; never throws. */
export function decodeRequest(text: string): string {
  let out = text;
  for (let i = 0; i < 2 && (out.includes('%') || out.includes('+')); i++) {
    out = out.replace(/\+/g, ' ').replace(/%([0-9a-f]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
  return out;
}

/**
 * Attack patterns in a request target, `path?query` (or the whole target as `path`), at most one hit per category.
 * The gate reads path and query apart, so the common case joins no strings: no gate word spans the '?'.
 */
export function attackHits(path: string, query = ''): AttackHit[] {
  if (!ATTACK_GATE.test(path) && !(query && ATTACK_GATE.test(query))) return NO_HITS;
  const decoded = decodeRequest(query ? `${path}?${query}` : path);
  const hits: AttackHit[] = [];
  for (const p of ATTACK_PATTERNS) {
    if (hits.some((h) => h.category === p.category)) continue;
    const m = p.re.exec(decoded);
    if (m) hits.push({ category: p.category, pattern: p.quote ? m[0].slice(0, 40) : p.pattern });
  }
  return hits.length ? hits : NO_HITS;
}
const NO_HITS: AttackHit[] = [];

export function describeAttack(hit: AttackHit): string {
  return `${ATTACK_NAMES[hit.category]} pattern: ${hit.pattern}`;
}

/** User-agent classes, ordered from ordinary to suspicious (the order is the feature value). */
export const UA_CLASSES = ['browser', 'other', 'bot', 'empty', 'tool'] as const;
export type UaClass = (typeof UA_CLASSES)[number];

const UA_TOOL =
  /sqlmap|nikto|nmap|masscan|zgrab|nuclei|dirbuster|gobuster|wfuzz|ffuf|hydra|acunetix|burp|wpscan|dotdotpwn|commix|curl\/|wget\/|python-requests|python-urllib|go-http-client|libwww-perl|java\/|okhttp|httpclient/i;
const UA_BOT = /bot\b|bot\/|crawl|spider|slurp|bingpreview|facebookexternalhit|monitor|pingdom/i;
const UA_BROWSER = /mozilla\/|opera\//i;

export function uaClass(ua: string | undefined): UaClass {
  if (!ua || ua === '-') return 'empty';
  if (UA_TOOL.test(ua)) return 'tool';
  if (UA_BOT.test(ua)) return 'bot';
  if (UA_BROWSER.test(ua)) return 'browser';
  return 'other';
}

/** The name of the tool in a tool user agent ("sqlmap"), for reasons. */
export function uaToolName(ua: string): string {
  const m = UA_TOOL.exec(ua);
  return m ? m[0].replace(/\/$/, '').toLowerCase() : ua.slice(0, 40);
}

/** Normalised level rank: debug 0, info 1, warn 2, error 3, fatal 4 (unknown counts as info). */
export const LEVELS = ['debug', 'info', 'warn', 'error', 'fatal'] as const;

export function levelRank(level: string | undefined): number {
  if (!level) return 1;
  switch (level.toLowerCase()) {
    case 'trace':
    case 'debug':
    case 'fine':
    case 'finer':
    case 'finest':
      return 0;
    case 'warn':
    case 'warning':
      return 2;
    case 'err':
    case 'error':
    case 'severe':
    case 'failure':
      return 3;
    case 'fatal':
    case 'critical':
    case 'crit':
    case 'alert':
    case 'emerg':
    case 'panic':
    case 'emergency':
      return 4;
    default:
      return 1;
  }
}

export const KEYWORDS = ['exception', 'timeout', 'refused', 'denied', 'memory'] as const;
export type Keyword = (typeof KEYWORDS)[number];

const KEYWORD_RES: Record<Keyword, RegExp> = {
  exception: /exception|traceback|panic|segfault|stack ?trace|\berror\b|failed|failure/i,
  timeout: /time[d ]?out|timed out|deadline exceeded/i,
  refused: /refused|unreachable|reset by peer|broken pipe/i,
  denied: /denied|forbidden|unauthori[sz]ed|permission/i,
  memory: /out ?of ?memory|\boom\b|oom-killer|cannot allocate|allocation failed|memory (?:exhausted|leak|limit|pressure)|heap space|insufficient memory/i,
};
const KEYWORD_GATE = /xception|traceback|panic|segfault|stack|error|fail|time|deadline|refused|unreachable|reset|pipe|denied|forbidden|authori|permission|memory|oom|heap|alloc/i;

/** Bit mask of the keywords found in a message (bit i = KEYWORDS[i]). */
export function keywordMask(message: string): number {
  if (!KEYWORD_GATE.test(message)) return 0;
  let mask = 0;
  for (let i = 0; i < KEYWORDS.length; i++) if (KEYWORD_RES[KEYWORDS[i]].test(message)) mask |= 1 << i;
  return mask;
}

export function keywordsOf(mask: number): Keyword[] {
  return KEYWORDS.filter((_, i) => mask & (1 << i));
}
