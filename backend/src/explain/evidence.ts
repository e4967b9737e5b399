import type { Signal } from '../detectors/index.js';
import type { FeatureSchema } from '../features/schema.js';
import type { ParsedLine } from '../types.js';
import { RULE_STRENGTH } from './strength.js';
import { systemSignals } from './system-evidence.js';
import { webSignals } from './web-evidence.js';

export { RULE_STRENGTH };

/**
 * `seen`: the line's template's count in training, of `total` training lines; `unparsed`: the training lines of a web
 * log that were no request (TemplateIndex.unparsedLines).
 */
export function ruleSignals(
  schema: FeatureSchema,
  p: ParsedLine,
  row: ArrayLike<number>,
  seen: number,
  total: number,
  unparsed = 0,
): Signal[] {
  return schema.family === 'web' ? webSignals(p, row, seen, total, unparsed) : systemSignals(p, row, seen);
}
