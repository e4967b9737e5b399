import { levelRank } from '../parsing/level.js';
import { KEYWORDS, keywordMask } from './keywords.js';
import type { ParsedLine } from '../types.js';
import { columnsOf, type FeatureSpec } from './schema.js';
import type { TemplateHit, TemplateIndex } from '../templates/template-index.js';

/** Line features of a system log line (HDFS, syslog, JSON, logfmt, generic). */
export const SYSTEM_FEATURES: readonly FeatureSpec[] = [
  { name: 'level', kind: 'category' },
  { name: 'template_rarity', kind: 'rarity' },
  { name: 'template_novel', kind: 'flag' },
  ...KEYWORDS.map((k): FeatureSpec => ({ name: `kw_${k}`, kind: 'flag' })),
  { name: 'param_count', kind: 'count' },
  { name: 'param_numeric', kind: 'count' },
  { name: 'param_hex', kind: 'count' },
  { name: 'param_path', kind: 'count' },
  { name: 'message_length', kind: 'count' },
];

export const SYS = columnsOf(SYSTEM_FEATURES);
const FIRST_KEYWORD = SYS[`kw_${KEYWORDS[0]}`];

const NUMERIC = /^[-+]?\d+(?:\.\d+)?$/;
/** Hex ids: a 0x prefix, or hex digits with at least one digit and one letter (`Added` and `face` are words). */
const HEX = /^0x[0-9a-f]+$|^(?=[a-f]*[0-9])(?=[0-9]*[a-f])[0-9a-f]+$/i;

export class SystemFeatures {
  constructor(private readonly templates: TemplateIndex) {}

  fill(p: ParsedLine, hit: TemplateHit, row: Float64Array): void {
    row[SYS.level] = levelRank(p.level);
    row[SYS.template_rarity] = this.templates.rarity(hit.count);
    row[SYS.template_novel] = hit.id < 0 ? 1 : 0;
    const mask = keywordMask(p.message);
    for (let k = 0; k < KEYWORDS.length; k++) row[FIRST_KEYWORD + k] = (mask >> k) & 1;
    let numeric = 0;
    let hex = 0;
    let path = 0;
    for (const param of hit.params) {
      if (NUMERIC.test(param)) numeric++;
      else if (param.length >= 4 && HEX.test(param)) hex++;
      else if (param.includes('/')) path++;
    }
    row[SYS.param_count] = hit.params.length;
    row[SYS.param_numeric] = numeric;
    row[SYS.param_hex] = hex;
    row[SYS.param_path] = path;
    row[SYS.message_length] = Math.log2(1 + p.message.length);
  }
}
