import type { LabelMatcher } from '../config/index.js';

export type Labels = Record<string, string>;

/** A LogQL line filter; `values` are alternatives (`|= "a" or "b"`). */
export interface LineFilter {
  op: '|=' | '!=' | '|~' | '!~';
  values: string[];
  /** Compiled for |~ and !~ (unanchored, as Loki). */
  regexes?: RegExp[];
}

/** What a source is asked for: the stream selector and line filters pushed down from a LogQL query. */
export interface ReadQuery {
  selector: LabelMatcher[];
  lineFilters: LineFilter[];
  /** Nanoseconds; start inclusive, end exclusive (as Loki). */
  start: bigint;
  end: bigint;
  limit?: number;
  direction?: 'forward' | 'backward';
}

/** One line read from a source. `ts` is nanoseconds since the epoch. */
export interface SourceEntry {
  labels: Labels;
  ts: bigint;
  line: string;
}

export interface Source {
  readonly name: string;
  /** Label sets of the streams matching `selector` (all streams when omitted). */
  streams(selector?: LabelMatcher[]): Promise<Labels[]>;
  /** Lines in `direction` order (forward by default), at most `limit`. */
  read(q: ReadQuery): AsyncIterable<SourceEntry>;
  close?(): Promise<void>;
}

export function lineFilter(op: LineFilter['op'], values: string[]): LineFilter {
  const regex = op === '|~' || op === '!~';
  return { op, values, regexes: regex ? values.map((v) => goRegExp(v)) : undefined };
}

/** A LogQL (Go RE2) pattern as a JS RegExp; a leading `(?i)` becomes the `i` flag. Throws SyntaxError when bad. */
export function goRegExp(pattern: string, anchored = false): RegExp {
  const insensitive = pattern.startsWith('(?i)');
  const body = insensitive ? pattern.slice(4) : pattern;
  return new RegExp(anchored ? `^(?:${body})$` : body, insensitive ? 'i' : '');
}

export function passesLineFilters(line: string, filters: readonly LineFilter[]): boolean {
  for (const f of filters) {
    const hit = f.regexes ? f.regexes.some((r) => r.test(line)) : f.values.some((v) => line.includes(v));
    if (hit !== (f.op === '|=' || f.op === '|~')) return false;
  }
  return true;
}

export const compareTs = (a: { ts: bigint }, b: { ts: bigint }): number => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0);
export const msToNs = (ms: number): bigint => BigInt(Math.round(ms * 1e6));
export const nsToMs = (ns: bigint): number => Number(ns / 1_000_000n) + Number(ns % 1_000_000n) / 1e6;

/** A label set as Loki prints a stream: `{a="1", b="2"}`, keys sorted. */
export function streamKey(labels: Labels): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return `{${parts.join(', ')}}`;
}
