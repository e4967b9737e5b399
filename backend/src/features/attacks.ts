/** Attack patterns in a request target. Each hit carries the text a person reads ("SQL injection pattern: UNION SELECT"). */

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
