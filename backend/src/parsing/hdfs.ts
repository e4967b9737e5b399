import type { ParsedLine } from '../types.js';
import { normalizeLevel } from './level.js';
import { hdfsMs } from './timestamp.js';

const HEAD = /^\d{6} \d{6} (\d+) ([A-Z]+) /;

/** HDFS: `081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_... terminating`. */
export function parseHdfs(line: string): ParsedLine | undefined {
  const head = HEAD.exec(line.length > 64 ? line.slice(0, 64) : line);
  if (!head) return undefined;
  const componentStart = head[0].length;
  const colon = line.indexOf(':', componentStart);
  const space = line.indexOf(' ', componentStart);
  if (colon <= componentStart || (space >= 0 && space < colon)) return undefined;
  const ts = hdfsMs(line, 0);
  if (ts === undefined) return undefined;
  return {
    ts,
    level: normalizeLevel(head[2]) ?? head[2],
    fields: { pid: head[1], component: line.slice(componentStart, colon) },
    message: line.slice(line.charCodeAt(colon + 1) === 32 ? colon + 2 : colon + 1),
    raw: line,
    format: 'hdfs',
  };
}
