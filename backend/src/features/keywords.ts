/** Trouble keywords in system messages; a bit each in a line's feature row. */
export const KEYWORDS = ['exception', 'timeout', 'refused', 'denied', 'memory'] as const;
export type Keyword = (typeof KEYWORDS)[number];

const KEYWORD_RES: Record<Keyword, RegExp> = {
  exception: /exception|traceback|panic|segfault|stack ?trace|\berror\b|failed|failure/i,
  timeout: /time[d ]?out|timed out|deadline exceeded/i,
  refused:
    /refused|unreachable|unavailable|\b(?:is|went) down\b|reset by peer|broken pipe|bounced|rejected|undeliverable/i,
  denied: /denied|forbidden|unauthori[sz]ed|permission/i,
  memory:
    /out ?of ?memory|\boom\b|oom-killer|cannot allocate|allocation failed|memory (?:exhausted|leak|limit|pressure)|heap space|insufficient memory/i,
};
const KEYWORD_GATE =
  /xception|traceback|panic|segfault|stack|error|fail|time|deadline|refused|unreachable|unavailable|down|reset|pipe|bounced|rejected|undeliverable|denied|forbidden|authori|permission|memory|oom|heap|alloc/i;

/** Bit mask of the keywords found in a message (bit i = KEYWORDS[i]). */
export function keywordMask(message: string): number {
  if (!KEYWORD_GATE.test(message)) return 0;
  let mask = 0;
  for (let i = 0; i < KEYWORDS.length; i++) if (KEYWORD_RES[KEYWORDS[i]].test(message)) mask |= 1 << i;
  return mask;
}

/** The words of a message that set its keyword bits, as written in the line (`failed`, `Permission`), without repeats. */
export function keywordWords(message: string, mask = keywordMask(message)): string[] {
  const out = new Set<string>();
  for (let i = 0; i < KEYWORDS.length; i++) {
    if (!(mask & (1 << i))) continue;
    const m = KEYWORD_RES[KEYWORDS[i]].exec(message);
    if (m) out.add(m[0]);
  }
  return [...out];
}
