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

const NONE: Signal[] = [];

export function systemSignals(p: ParsedLine, row: ArrayLike<number>): Signal[] {
  const level = row[SYS.level];
  const routine = row[SYS.template_rarity] < ROUTINE_RARITY;
  let keywords = 0;
  if (!routine) for (let k = 0; k < KEYWORDS.length; k++) keywords += row[SYS[`kw_${KEYWORDS[k]}`]];
  if (level < 3 && keywords === 0) return NONE;
  const out: Signal[] = [];
  if (level >= 3) {
    out.push({
      kind: 'error-level',
      strength: level >= 4 ? RULE_STRENGTH.fatal : RULE_STRENGTH.error,
      reason: `level ${(p.level ?? LEVELS[level]).toUpperCase()}`,
    });
  }
  const found = keywords > 0 ? keywordWords(p.message) : [];
  if (found.length) out.push({ kind: 'rule', strength: RULE_STRENGTH.keyword, reason: keywordReason(found) });
  return out;
}

/** The trouble words as the line has them: `trouble word "failed"`, never a category name the line does not hold. */
export function keywordReason(words: readonly string[]): string {
  return `trouble word${words.length > 1 ? 's' : ''} ${words.map((w) => `"${w}"`).join(', ')}`;
}
