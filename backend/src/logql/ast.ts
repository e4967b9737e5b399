import { ANOMALY_FIELDS, LEARNING, type AnomalyField } from '@anomalog/contract';
import type { LabelMatcher } from './selector.js';
import type { GoRegex, LineFilter } from './line-filter.js';
import type { ScoredLine } from '../types.js';
import type { LinePattern } from './pattern.js';
import type { Template } from './template.js';

/** The LogQL subset Anomalog evaluates. Anything outside it is refused at parse time with UnsupportedQuery. */
export type Query = LogQuery | MetricQuery;

export interface LogQuery {
  kind: 'log';
  selector: LabelMatcher[];
  /** Line filters before the first parser or label filter: pushed down to the source. */
  lineFilters: LineFilter[];
  /** The rest, applied in order after scoring. */
  stages: Stage[];
}

export type Stage =
  | { kind: 'lineFilter'; filter: LineFilter }
  /** `| json`, `| logfmt`, or with extractions (`| json a="b.c[0]", d`): only the named labels, from a path (json) or key. */
  | { kind: 'parser'; format: 'json' | 'logfmt'; extract?: { name: string; path: (string | number)[] }[] }
  | { kind: 'labelFilter'; filter: LabelPredicate }
  | { kind: 'drop'; names: string[]; matchers?: LabelMatcher[] }
  /** `|> "p" or "q"` (any matches) and `!> "p"` (none matches). */
  | { kind: 'pattern'; negate: boolean; patterns: LinePattern[] }
  /** `| keep a, b="x"`: only the named labels stay (a matcher keeps its label only where it matches). */
  | { kind: 'keep'; names: string[]; matchers: LabelMatcher[] }
  | { kind: 'lineFormat'; template: Template }
  /** `| pattern "<ip> - <_>"`: the named captures as parsed labels. */
  | { kind: 'patternParser'; pattern: LinePattern }
  /** `| unpack`: a JSON line packed by promtail's pack stage: its keys become labels, `_entry` the line. */
  | { kind: 'unpack' }
  /** `| decolorize`: ANSI colour sequences removed from the line. */
  | { kind: 'decolorize' }
  /** `| label_format dst=src` (rename) or `dst="{{template}}"`. */
  | { kind: 'labelFormat'; ops: LabelFormatOp[] };

export type LabelFormatOp = { dst: string; rename: string } | { dst: string; template: Template };

/** Conversion functions of `| unwrap`: `duration(x)`, `duration_seconds(x)` (both to seconds) and `bytes(x)`. */
export type UnwrapConversion = 'duration' | 'duration_seconds' | 'bytes';

export type CompareOp = '>' | '>=' | '<' | '<=' | '==' | '!=';

export type LabelPredicate =
  | { kind: 'and' | 'or'; left: LabelPredicate; right: LabelPredicate }
  | { kind: 'string'; matcher: LabelMatcher }
  | { kind: 'number'; name: string; op: CompareOp; value: number }
  /** `| took > 250ms`, `| size >= 1KB`: the label read as a Go duration (seconds) or a byte size. */
  | { kind: 'unit'; unit: 'duration' | 'bytes'; name: string; op: CompareOp; value: number };

export type RangeOp =
  | 'count_over_time'
  | 'rate'
  | 'bytes_over_time'
  | 'bytes_rate'
  | 'sum_over_time'
  | 'avg_over_time'
  | 'min_over_time'
  | 'max_over_time'
  | 'quantile_over_time'
  | 'stddev_over_time'
  | 'stdvar_over_time'
  | 'first_over_time'
  | 'last_over_time'
  | 'absent_over_time'
  | 'rate_counter';

export type VectorOp =
  'sum' | 'avg' | 'min' | 'max' | 'count' | 'stddev' | 'stdvar' | 'topk' | 'bottomk' | 'sort' | 'sort_desc';
export type ArithmeticOp = '+' | '-' | '*' | '/' | '%' | '^';
/** Binary operators between metric expressions: arithmetic, comparison (with or without `bool`), set operators. */
export type BinaryOp = ArithmeticOp | CompareOp | SetOp;
/**
 * `on(a, b)` / `ignoring(a, b)` (which labels two vectors match on), with `group_left(c)` / `group_right(c)` for
 * many-to-one / one-to-many matching (copying `c` from the "one" side).
 */
export interface VectorMatching {
  on: boolean;
  labels: string[];
  group?: 'left' | 'right';
  include: string[];
}

/** Set operators between vectors (matching on identical label sets). */
export type SetOp = 'and' | 'or' | 'unless';

export interface Grouping {
  without: boolean;
  labels: string[];
}

export type MetricQuery =
  | {
      kind: 'range';
      op: RangeOp;
      param?: number;
      log: LogQuery;
      rangeMs: number;
      offsetMs: number;
      unwrap?: string;
      /** `| unwrap duration(x)` etc. */
      conversion?: UnwrapConversion;
      /** Label filters after `| unwrap` (`| __error__=""`). */
      postUnwrap?: LabelPredicate[];
      grouping?: Grouping;
    }
  | { kind: 'aggregate'; op: VectorOp; param?: number; grouping?: Grouping; expr: MetricQuery }
  | { kind: 'binary'; op: BinaryOp; bool?: boolean; matching?: VectorMatching; left: MetricQuery; right: MetricQuery }
  /** `label_replace(expr, "dst", "replacement", "src", "regex")`: regex anchored, compiled with goRegExp. */
  | { kind: 'labelReplace'; expr: MetricQuery; dst: string; replacement: string; src: string; regex: GoRegex }
  | { kind: 'literal'; value: number }
  | { kind: 'vector'; value: number };

/** A query outside the subset, or malformed; the message says what (the API answers 400). */
export class UnsupportedQuery extends Error {
  override name = 'UnsupportedQuery';
}

/**
 * Loki's error for a metric query whose samples still carry `__error__` (a parser or unwrap failure nobody filtered):
 * `pipeline error: 'SampleExtractionErr' for series: ...` (Loki `pkg/logqlmodel/error.go`, 400).
 */
export class PipelineError extends UnsupportedQuery {
  override name = 'PipelineError';
  constructor(error: string, series: string) {
    super(
      `pipeline error: '${error}' for series: '${series}'.\nUse a label filter to intentionally skip this error. (e.g | __error__!="${error}").\nTo skip all potential errors you can match empty errors.(e.g __error__="")\nThe label filter can also be specified after unwrap. (e.g | unwrap latency | __error__="" )`,
    );
  }
}

/** Whether a name is one of the anomaly fields every scored line carries (filterable like labels). */
export const isAnomalyField = (name: string): boolean => name.startsWith('anomaly_');

/** A scored line's anomaly fields as the Loki API shows them (`anomaly_burst` only on a burst's lines). */
export function anomalyFields(s: ScoredLine): Partial<Record<AnomalyField, string>> {
  const fields: Partial<Record<AnomalyField, string>> = {
    [ANOMALY_FIELDS.score]: s.score.toFixed(3),
    [ANOMALY_FIELDS.severity]: s.severity,
    [ANOMALY_FIELDS.reason]: s.reasons.join('; '),
    [ANOMALY_FIELDS.template]: s.template,
    [ANOMALY_FIELDS.detector]: s.detector,
  };
  if (s.burst !== undefined) fields[ANOMALY_FIELDS.burst] = s.burst;
  return fields;
}

/**
 * The fields of a line whose stream's model is still being learned: `anomaly_severity` "learning", the reason saying
 * how far the warm-up is, and no score (so no score filter or threshold takes it for a normal line).
 */
export function learningFields(reason: string): Partial<Record<AnomalyField, string>> {
  return { [ANOMALY_FIELDS.severity]: LEARNING, [ANOMALY_FIELDS.reason]: reason, [ANOMALY_FIELDS.detector]: LEARNING };
}

/** Whether a query needs scoring: it names an anomaly field in a filter, selector, unwrap or grouping. */
export function touchesAnomalyFields(q: Query): boolean {
  const predicate = (p: LabelPredicate): boolean => {
    if ('left' in p) return predicate(p.left) || predicate(p.right);
    return isAnomalyField(p.kind === 'string' ? p.matcher.name : p.name);
  };
  const log = (l: LogQuery) =>
    l.stages.some(
      (s) =>
        (s.kind === 'labelFilter' && predicate(s.filter)) ||
        s.kind === 'pattern' ||
        ((s.kind === 'lineFormat' || s.kind === 'labelFormat' || s.kind === 'keep') &&
          JSON.stringify(s).includes('anomaly_')),
    );
  switch (q.kind) {
    case 'log':
      return true;
    case 'range':
      return log(q.log) || isAnomalyField(q.unwrap ?? '') || (q.grouping?.labels.some(isAnomalyField) ?? false);
    case 'aggregate':
      return (q.grouping?.labels.some(isAnomalyField) ?? false) || touchesAnomalyFields(q.expr);
    case 'binary':
      return touchesAnomalyFields(q.left) || touchesAnomalyFields(q.right);
    case 'labelReplace':
      return touchesAnomalyFields(q.expr) || isAnomalyField(q.src) || isAnomalyField(q.dst);
    default:
      return false;
  }
}

/** The anomaly fields some grouping names: metric series carry these as labels (and no other anomaly field). */
export function groupedAnomalyFields(q: Query): Set<string> {
  const out = new Set<string>();
  const walk = (m: Query) => {
    if (m.kind === 'range' || m.kind === 'aggregate')
      for (const l of m.grouping?.labels ?? []) if (isAnomalyField(l)) out.add(l);
    if (m.kind === 'aggregate' || m.kind === 'labelReplace') walk(m.expr);
    if (m.kind === 'binary') [m.left, m.right].forEach(walk);
  };
  walk(q);
  return out;
}
