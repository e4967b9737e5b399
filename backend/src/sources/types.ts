import type { LabelMatcher } from '../logql/selector.js';
import type { LineFilter } from '../logql/line-filter.js';
import type { Labels } from '../stream.js';

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
