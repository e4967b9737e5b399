/** Trouble keywords in system messages; a bit each in a line's feature row. */
export const KEYWORDS = ['exception', 'timeout', 'refused', 'denied', 'memory'] as const;
export type Keyword = (typeof KEYWORDS)[number];

const KEYWORD_RES: Record<Keyword, RegExp> = {
  exception:
    /exception|traceback|panic|segfault|stack ?trace|\berror\b|\b[A-Z][A-Za-z]*Error\b|failed|failure|\bfails?\b/gi,
  // Not a setting: `(timeout in 45 seconds)` (NetworkManager starting DHCP), `timeout is 5`; Zookeeper's `timeout of
  // 10000ms exceeded` is trouble.
  timeout: /time[d ]?out(?! (?:in|is|set to) \d)|timed out|deadline exceeded/gi,
  refused:
    /refused|unreachable|unavailable|\b(?:is|went) down\b|reset by peer|broken pipe|bounced|rejected|undeliverable/gi,
  denied: /denied|forbidden|unauthori[sz]ed|permission/gi,
  memory:
    /out ?of ?memory|oom-killer|\boom\b|cannot allocate|allocation failed|memory (?:exhausted|leak|limit|pressure)|heap space|insufficient memory/gi,
};
const KEYWORD_GATE =
  /xception|traceback|panic|segfault|stack|error|fail|time|deadline|refused|unreachable|unavailable|down|reset|pipe|bounced|rejected|undeliverable|denied|forbidden|authori|permission|memory|oom|heap|alloc/i;

/** Bit mask of the keywords found in a message (bit i = KEYWORDS[i]). */
export function keywordMask(message: string): number {
  if (!KEYWORD_GATE.test(message)) return 0;
  let mask = 0;
  for (let i = 0; i < KEYWORDS.length; i++) if (keywordIn(message, KEYWORD_RES[KEYWORDS[i]])) mask |= 1 << i;
  return mask;
}

/** The words of a message that set its keyword bits, as written in the line (`failed`, `Permission`), without repeats. */
export function keywordWords(message: string, mask = keywordMask(message)): string[] {
  const out = new Set<string>();
  for (let i = 0; i < KEYWORDS.length; i++) {
    if (!(mask & (1 << i))) continue;
    const word = keywordIn(message, KEYWORD_RES[KEYWORDS[i]]);
    if (word) out.add(word);
  }
  return [...out];
}

/**
 * The first match of `re` that is not part of a name: joined to a word by `-` or `_` (kubelet's
 * `--authorization-webhook-cache-unauthorized-ttl`, `failed_jobs`, `error-rate`) or a key (`timeout=30s`). Such a
 * flag dump read `unauthorized` as trouble. `java.io.IOException` is trouble: a class name says what it is, and so
 * does an error's (`RuntimeError (...)` in a Rails log, Python's `KeyError: 'id'`), written as one (ERROR_CLASS).
 */
function keywordIn(message: string, re: RegExp): string | undefined {
  re.lastIndex = 0;
  for (let m = re.exec(message); m; m = re.exec(message)) {
    const end = m.index + m[0].length;
    if (joinedAt(message, m.index - 1, m.index - 2) || joinedAt(message, end, end + 1) || message[end] === '=')
      continue;
    if (inSetting(message, m.index, end)) continue;
    if (m[0].length > 5 && /error$/i.test(m[0]) && !ERROR_CLASS.test(m[0])) continue;
    return m[0];
  }
  return undefined;
}
/** A class name ending in `Error`, as the keyword's case-blind pattern cannot tell it from `terror` or `STDERROR`. */
const ERROR_CLASS = /^[A-Z][A-Za-z]*Error$/;

/**
 * A match inside a setting's name: a key's (`permissions_validity_in_ms=2000` in Cassandra's configuration dump) or a
 * command-line option's (`-XX:+HeapDumpOnOutOfMemoryError` among a JVM's arguments, `-Dclient.timeout=5`).
 */
function inSetting(s: string, from: number, to: number): boolean {
  let end = to;
  while (end < s.length && WORD_CHAR.test(s[end])) end++;
  if (s[end] === '=') return true;
  let start = from;
  while (start > 0 && s[start - 1] !== ' ' && s[start - 1] !== '\t') start--;
  return start < from && OPTION.test(s.slice(start, from));
}
const WORD_CHAR = /[\w-]/;
/** The start of a command-line option with a value or a switch: `-XX:+`, `-Dx.y=`, `--name=`. */
const OPTION = /^--?[A-Za-z][\w.:-]*[=:+]/;

/** A `-` or `_` at `at` with a letter at `beyond`. */
function joinedAt(s: string, at: number, beyond: number): boolean {
  const c = s.charCodeAt(at);
  return (c === 45 || c === 95) && /[A-Za-z]/.test(s.charAt(beyond));
}
