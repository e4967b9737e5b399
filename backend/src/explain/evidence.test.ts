import { describe, expect, it } from 'vitest';
import { buildSchema, SYS } from '../features/index.js';
import type { ParsedLine } from '../types.js';
import { RULE_STRENGTH, ruleSignals } from './evidence.js';

const schema = buildSchema('hdfs', []);

/** A system line's row: its level rank, keyword flags, and its template's share of the training lines. */
function row(level: number, share: number, keywords: string[]): number[] {
  const r = new Array<number>(schema.names.length).fill(0);
  r[SYS.level] = level;
  r[SYS.template_rarity] = Math.log10(1 / share);
  for (const k of keywords) r[SYS[`kw_${k}`]] = 1;
  return r;
}

const line = (level: string): ParsedLine => ({ raw: '', message: 'Got exception while serving blk_1', level, fields: {}, format: 'hdfs' });

describe('rule signals of system lines', () => {
  it('reads a trouble keyword as weak evidence on a rare template and as none on a routine one', () => {
    expect(ruleSignals(schema, line('WARN'), row(2, 0.0002, ['exception']))).toEqual([
      { kind: 'rule', strength: RULE_STRENGTH.keyword, reason: 'keyword: exception' },
    ]);
    expect(ruleSignals(schema, line('WARN'), row(2, 0.013, ['exception']))).toEqual([]);
  });

  it('counts a FATAL or ERROR level at full strength however routine the template', () => {
    expect(ruleSignals(schema, line('FATAL'), row(4, 0.02, ['exception']))).toEqual([
      { kind: 'error-level', strength: RULE_STRENGTH.fatal, reason: 'level FATAL' },
    ]);
    expect(ruleSignals(schema, line('ERROR'), row(3, 0.02, []))).toEqual([{ kind: 'error-level', strength: RULE_STRENGTH.error, reason: 'level ERROR' }]);
  });
});
