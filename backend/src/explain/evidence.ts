import type { Signal } from '../detectors/index.js';
import type { FeatureSchema } from '../features/schema.js';
import { SYS } from '../features/system.js';
import { WEB } from '../features/web.js';
import type { ParsedLine } from '../types.js';
import { attackHits, describeAttack, KEYWORDS, LEVELS, UA_CLASSES, uaToolName } from './rules.js';

/**
 * Rule signals of one line, on the calibrated score scale (0.65 alone is `medium`): attack patterns are `high`,
 * a FATAL line `high`, an ERROR line `medium`, a trouble keyword or a scanner user agent `low`; an HTTP 5xx alone
 * stays below `low` and only explains a line something else flagged; a session missing a lifecycle step or with two
 * steps out of order is `low`. A trouble keyword on a routine template (see ROUTINE_SHARE) is no evidence at all.
 * Read from the feature row, so the patterns themselves are matched again only for the rare line that has one.
 */
export const RULE_STRENGTH = {
  attack: 0.9,
  attackMulti: 0.95,
  fatal: 0.9,
  error: 0.7,
  keyword: 0.5,
  tool: 0.5,
  http5xx: 0.35,
  /** A session lacks a step of the usual lifecycle, or has two steps the other way round. */
  sessionShape: 0.5,
} as const;

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

export function ruleSignals(schema: FeatureSchema, p: ParsedLine, row: ArrayLike<number>): Signal[] {
  return schema.family === 'web' ? webSignals(p, row) : systemSignals(p, row);
}

function webSignals(p: ParsedLine, row: ArrayLike<number>): Signal[] {
  const attack = row[WEB.attack_sqli] + row[WEB.attack_xss] + row[WEB.attack_traversal] + row[WEB.attack_cmdi];
  const tool = UA_CLASSES[row[WEB.ua_class]] === 'tool';
  const serverError = row[WEB.status_class] === 5;
  if (attack === 0 && !tool && !serverError) return NONE;
  const out: Signal[] = [];
  if (attack > 0) {
    const { path = '', query = '' } = p.fields;
    const strength = attack > 1 ? RULE_STRENGTH.attackMulti : RULE_STRENGTH.attack;
    for (const h of attackHits(query ? `${path}?${query}` : path)) out.push({ kind: 'rule', strength, reason: describeAttack(h) });
  }
  if (tool) out.push({ kind: 'rule', strength: RULE_STRENGTH.tool, reason: `scanner or tool user agent: ${uaToolName(p.fields.ua ?? '')}` });
  if (serverError) out.push({ kind: 'rule', strength: RULE_STRENGTH.http5xx, reason: `HTTP ${p.fields.status ?? '5xx'}` });
  return out;
}

function systemSignals(p: ParsedLine, row: ArrayLike<number>): Signal[] {
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
  const found = keywords > 0 ? KEYWORDS.filter((k) => row[SYS[`kw_${k}`]] === 1) : [];
  if (found.length) out.push({ kind: 'rule', strength: RULE_STRENGTH.keyword, reason: `keyword: ${found.join(', ')}` });
  return out;
}
