import type { Signal } from '../detectors/index.js';
import { KEYWORDS, keywordWords } from '../features/keywords.js';
import { SYS } from '../features/system.js';
import { LEVELS } from '../parsing/level.js';
import type { ParsedLine } from '../types.js';
import { RULE_STRENGTH } from './strength.js';

/**
 * A template holding more than this share of the training lines is routine: its words are no news. A keyword on it
 * could flag twice the false-positive budget of a whole member (1 training line in 2,000 reaches `low`) with that one
 * template. HDFS's `Got exception while serving` (WARN, 3.4% of training lines, in 24% of normal sessions) is the
 * case in point; the rare templates there hold 0.03%. Level evidence ignores this: a FATAL line counts however often
 * it repeats.
 */
const ROUTINE_SHARE = 0.001;
const ROUTINE_RARITY = -Math.log10(ROUTINE_SHARE);
/**
 * A template seen this often or less is never routine: under 2,000 training lines the share alone made every template
 * routine (1 line of 150 is 0.7%), so a small file's keywords counted for nothing. Real files nobody here wrote (7 Dec
 * 2026): HAProxy's `Server primary/DB1 is DOWN` (2 of 150 lines) low -> medium, a Postfix bounce (2 of 441) low ->
 * medium, a Cowrie honeypot's `failed auth` (1 of 137) now flagged; the loghub 2k files unchanged (2 of 2,000 is
 * the share's own cut), where a floor of 3 ranked rare events worse (Mac AP 0.963 -> 0.933, Zookeeper 0.781 -> 0.755).
 */
const NEVER_ROUTINE = 2;

const NONE: Signal[] = [];

/** `seen`: the line's template's count in training. */
export function systemSignals(p: ParsedLine, row: ArrayLike<number>, seen: number): Signal[] {
  const level = row[SYS.level];
  let keywords = 0;
  if (!isRoutine(row[SYS.template_rarity], seen))
    for (let k = 0; k < KEYWORDS.length; k++) keywords += row[SYS[`kw_${KEYWORDS[k]}`]];
  if (level < 3 && keywords === 0) return NONE;
  return troubleSignals(p, level, keywords > 0 ? keywordWords(p.message) : []);
}

/** Whether a template is routine: its rarity (-log10 of its share of the training lines) and count say so. */
export function isRoutine(rarity: number, seen: number): boolean {
  return rarity < ROUTINE_RARITY && seen > NEVER_ROUTINE;
}

/** A level of ERROR or worse (`level`: its rank) and the trouble words found, as signals. */
export function troubleSignals(p: ParsedLine, level: number, words: readonly string[]): Signal[] {
  const out: Signal[] = [];
  if (level >= 3) {
    out.push({
      kind: 'error-level',
      strength: level >= 4 ? RULE_STRENGTH.fatal : RULE_STRENGTH.error,
      reason: `level ${(p.level ?? LEVELS[level]).toUpperCase()}`,
    });
  }
  if (words.length) out.push({ kind: 'rule', strength: RULE_STRENGTH.keyword, reason: keywordReason(words) });
  return out;
}

/** The trouble words as the line has them: `trouble word "failed"`, never a category name the line does not hold. */
export function keywordReason(words: readonly string[]): string {
  return `trouble word${words.length > 1 ? 's' : ''} ${words.map((w) => `"${w}"`).join(', ')}`;
}
