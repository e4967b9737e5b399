import type { ParsedLine } from '../types.js';
import { sniffLevel } from './level.js';
import { sniffTimestamp } from './timestamp.js';

/** The fallback for any line: a leading timestamp and a level word if present, the whole line as message. */
export function parseGeneric(line: string): ParsedLine {
  return { ts: sniffTimestamp(line), level: sniffLevel(line), fields: {}, message: line, raw: line, format: 'generic' };
}
