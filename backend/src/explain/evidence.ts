import type { Signal } from '../detectors/index.js';
import type { FeatureSchema } from '../features/schema.js';
import { SYS } from '../features/system.js';
import { routeOf } from '../templates/route.js';
import { METHODS, WEB } from '../features/web.js';
import type { ParsedLine } from '../types.js';
import { attackHits, describeAttack } from '../features/attacks.js';
import { KEYWORDS } from '../features/keywords.js';
import { UA_CLASSES, uaToolName } from '../features/user-agent.js';
import { LEVELS } from '../parsing/level.js';

/**
 * Rule signals of one line, on the calibrated score scale (0.65 alone is `medium`): attack patterns are `high`,
 * a FATAL line `high`, an ERROR line `medium`, a trouble keyword or a scanner user agent `low`; an HTTP 5xx alone
 * stays below `low` and only explains a line something else flagged; a response far above its route's usual size
 * a client's burst of HTTP 401s and a non-standard method the server refused are `medium`; a session missing a lifecycle step or with two
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
  /** A response far larger than its route's training median (see LARGE_RESPONSE_Z). */
  largeResponse: 0.65,
  /** One client failing authentication again and again within the window (see AUTH_FAILURES). */
  authFailures: 0.65,
  /** A method outside the standard set that the server refused (400, 405, 501): a probe, not a client's request. */
  refusedMethod: 0.65,
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

/**
 * bytes_z is measured against the route's median and robust spread, which a few percent of anomalies in training do
 * not move; a route's second common kind of answer (a 401 page next to a 302 redirect) reaches about 12. 15σ in
 * log bytes is a response tens to thousands of times the usual size: an export or a dump, not a page.
 */
const LARGE_RESPONSE_Z = 15;
/** Authentication failures (HTTP 401) for one client within the 60 s window; normal users fail two or three times. */
const AUTH_FAILURES = 5;
/** Answers with which a server refuses a method it does not know or allow. */
const REFUSED = new Set(['400', '405', '501']);

const NONE: Signal[] = [];

export function ruleSignals(schema: FeatureSchema, p: ParsedLine, row: ArrayLike<number>): Signal[] {
  return schema.family === 'web' ? webSignals(p, row) : systemSignals(p, row);
}

function webSignals(p: ParsedLine, row: ArrayLike<number>): Signal[] {
  const attack = row[WEB.attack_sqli] + row[WEB.attack_xss] + row[WEB.attack_traversal] + row[WEB.attack_cmdi];
  const tool = UA_CLASSES[row[WEB.ua_class]] === 'tool';
  const serverError = row[WEB.status_class] === 5;
  const large = row[WEB.bytes_z] >= LARGE_RESPONSE_Z;
  const errors = Math.round(Math.pow(2, row[WEB.client_errors]) - 1);
  const authBurst = errors >= AUTH_FAILURES && p.fields.status === '401';
  const refusedMethod = row[WEB.method] === METHODS.length && REFUSED.has(p.fields.status ?? '');
  if (attack === 0 && !tool && !serverError && !large && !authBurst && !refusedMethod) return NONE;
  const out: Signal[] = [];
  if (attack > 0) {
    const { path = '', query = '' } = p.fields;
    const strength = attack > 1 ? RULE_STRENGTH.attackMulti : RULE_STRENGTH.attack;
    for (const h of attackHits(path, query)) out.push({ kind: 'rule', strength, reason: describeAttack(h) });
  }
  if (tool) out.push({ kind: 'rule', strength: RULE_STRENGTH.tool, reason: `scanner or tool user agent: ${uaToolName(p.fields.ua ?? '')}` });
  if (large) {
    const route = routeOf(p.fields.method ?? '', p.fields.path ?? '').replace(/^\S+ /, '');
    out.push({ kind: 'rule', strength: RULE_STRENGTH.largeResponse, reason: `bytes ${Math.round(row[WEB.bytes_z])}σ above ${route} baseline` });
  }
  if (authBurst) {
    const client = p.fields.ip ?? 'client';
    out.push({ kind: 'rule', strength: RULE_STRENGTH.authFailures, reason: `client ${client}: ${errors} failed responses in the last minute, this one HTTP 401 (brute force?)` });
  }
  if (refusedMethod) {
    out.push({ kind: 'rule', strength: RULE_STRENGTH.refusedMethod, reason: `unusual method ${p.fields.method ?? '?'} refused (HTTP ${p.fields.status})` });
  }
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
