import type { ParsedLine } from '../types.js';
import { normalizeLevel, sniffLevel } from './level.js';
import { leadingTimestamp, type DateOrder } from './timestamp.js';

const LEADING_LEVEL =
  /^[[(<]?(TRACE|DEBUG|INFO|NOTICE|WARN(?:ING)?|ERROR|ERR|CRIT(?:ICAL)?|FATAL|SEVERE|PANIC|EMERG|ALERT|trace|debug|info|notice|warn(?:ing)?|error|fatal|critical)[\])>]?:?(?: +|$)/;

/**
 * The fallback for any line: a leading timestamp (any shape `leadingTimestamp` knows, weekday and month names
 * included) and a level word if present; the message is the rest, so no timestamp reaches the template miner.
 */
export function parseGeneric(line: string, order?: DateOrder): ParsedLine {
  const ts = leadingTimestamp(line, order);
  let at = 0;
  if (ts) {
    at = ts.length;
    while (at < line.length && (line.charCodeAt(at) === 32 || line.charCodeAt(at) === 9)) at++;
    if ((line.charCodeAt(at) === 45 || line.charCodeAt(at) === 124) && line.charCodeAt(at + 1) === 32) at += 2;
  }
  const rest = at ? line.slice(at) : line;
  const lead = LEADING_LEVEL.exec(rest);
  const level = lead ? normalizeLevel(lead[1]) : sniffLevel(line);
  const message = lead && ts ? rest.slice(lead[0].length) : rest;
  return { ts: ts?.ms, level, fields: {}, message, raw: line, format: 'generic' };
}
