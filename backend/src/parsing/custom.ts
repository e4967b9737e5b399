import type { ParsedLine } from '../types.js';
import { normalizeLevel } from './level.js';
import { parseTimestampValue, type DateOrder } from './timestamp.js';
import { userRegExp } from './user-regex.js';

/**
 * A named-group regex from config: groups `ts`, `level` and `message` fill those parts, any other named group
 * becomes a field. Without a `message` group the whole line is the message. Throws on an invalid pattern.
 */
export function createCustomParser(pattern: string, order?: DateOrder): (line: string) => ParsedLine | undefined {
  let re: RegExp;
  try {
    re = userRegExp(pattern);
  } catch (e) {
    throw new Error(`invalid custom format pattern: ${(e as Error).message}`);
  }
  if (!/\(\?<[A-Za-z_]/.test(pattern)) throw new Error('custom format pattern needs named groups, e.g. (?<message>.*)');
  return (line) => {
    const groups = re.exec(line)?.groups;
    if (!groups) return undefined;
    const out: ParsedLine = { fields: {}, message: line, raw: line, format: 'custom' };
    for (const [name, value] of Object.entries(groups)) {
      if (value === undefined) continue;
      if (name === 'ts') out.ts = parseTimestampValue(value, order);
      else if (name === 'level') out.level = normalizeLevel(value) ?? value;
      else if (name === 'message') out.message = value;
      else out.fields[name] = value;
    }
    return out;
  };
}
