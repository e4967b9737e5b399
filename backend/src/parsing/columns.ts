import type { ParsedLine } from '../types.js';
import { sniffLevel } from './level.js';
import { skipSpaces } from './text.js';
import { fromEpoch } from './timestamp.js';

/**
 * Columns a line may have before its time, and numbers after it (a flag, a pid; HPC's flag is -1, 0 or 1) that are
 * columns too. With -1 read as a column, HPC's `running` lines are one template (grouping accuracy 0.872 -> 0.953).
 */
const MAX_LEAD = 6;
const MAX_TRAIL = 2;
const NUMBER_COLUMN = /^-?\d{1,10} /;
const EPOCH = /^\d{10}(?:\d{3})?$/;
/** Unix times of 1995 to 2100: ten digits outside them are an id, not a time. */
const FIRST_MS = Date.UTC(1995, 0, 1);
const LAST_MS = Date.UTC(2100, 0, 1);

/**
 * Space-separated columns with a Unix time (seconds or milliseconds) among the first few, after one column at least
 * (LANL's HPC logs: `134681 node-246 unix.hw state_change.unavailable 1077804742 1 Component State Change: ...`):
 * the time, the columns before it and up to two numbers after it as fields `col1`, `col2`, ..., and the rest as the
 * message. The ids and names before the time and the flag after it stay out of the templates: with HPC's flag `1`
 * leading every message, its actions (`boot`, `wait`, `risBoot`, ...) met in one leaf of the miner and became one
 * variable (rare-event AP 0.55; 0.78 without it).
 */
export function parseColumns(line: string): ParsedLine | undefined {
  const fields: Record<string, string> = {};
  let at = 0;
  for (let k = 0; k <= MAX_LEAD; k++) {
    const end = line.indexOf(' ', at);
    if (end <= at) return undefined;
    const token = line.slice(at, end);
    at = skipSpaces(line, end + 1);
    if (k > 0 && EPOCH.test(token)) {
      const ms = fromEpoch(Number(token));
      if (ms === undefined || ms < FIRST_MS || ms > LAST_MS) return undefined;
      for (let n = k + 2; n <= k + 1 + MAX_TRAIL; n++) {
        const m = NUMBER_COLUMN.exec(line.slice(at, at + 12));
        if (!m) break;
        fields[`col${n}`] = m[0].trimEnd();
        at = skipSpaces(line, at + m[0].length);
      }
      return { ts: ms, level: sniffLevel(line), fields, message: line.slice(at), raw: line, format: 'columns' };
    }
    fields[`col${k + 1}`] = token;
  }
  return undefined;
}
