import { SecondClock, pad2 } from '../format/second-clock.js';

/** HDFS_v1 lines: `081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_1 terminating`. */

export interface HdfsLine {
  /** Milliseconds since the epoch (UTC). */
  ts: number;
  pid: number;
  level: string;
  component: string;
  content: string;
}

const LINE = /^(\d{2})(\d{2})(\d{2}) (\d{2})(\d{2})(\d{2}) (\d+) ([A-Z]+) ([\w.$]+): (.*)$/;
export const BLOCK_ID = /blk_-?\d+/g;
export const EXAMPLE_LINE =
  '081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating';

export function parseHdfsLine(text: string): HdfsLine | undefined {
  const m = LINE.exec(text);
  if (!m) return undefined;
  const ts = Date.UTC(2000 + Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  if (Number.isNaN(ts)) return undefined;
  return { ts, pid: Number(m[7]), level: m[8], component: m[9], content: m[10] };
}

/** Formats `yyMMdd HHmmss` (UTC). */
export class HdfsClock extends SecondClock {
  constructor() {
    super(
      (d) =>
        `${pad2(d.getUTCFullYear() % 100)}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}${pad2(d.getUTCSeconds())}`,
    );
  }
}

export function formatHdfsLine(l: HdfsLine, clock: HdfsClock): string {
  return `${clock.format(l.ts)} ${l.pid} ${l.level} ${l.component}: ${l.content}`;
}
