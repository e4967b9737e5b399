import { streamKey, type Labels } from '../stream.js';
import {
  isAnomalyField,
  PipelineError,
  UnsupportedQuery,
  type BinaryOp,
  type CompareOp,
  type Grouping,
  type LogQuery,
  type MetricQuery,
  type UnwrapConversion,
  type VectorMatching,
} from './ast.js';
import { compare, holdsFor, labelOf, type Row } from './stages.js';
import { goDurationSeconds, parseBytes } from './units.js';

export interface Sample {
  labels: Labels;
  value: number;
}
/** The value of a metric expression at one instant. */
export type Instant = { kind: 'vector'; samples: Sample[] } | { kind: 'scalar'; value: number };

export interface MetricInput {
  /** The rows of a log query, after its stages, sorted by time. */
  rows(log: LogQuery): readonly Row[];
  /** Anomaly fields a grouping names: the only ones that become series labels. */
  keepFields: ReadonlySet<string>;
  /** Called at every step; throws to stop the evaluation (a deadline, a cancelled request). */
  check?: () => void;
}

export interface Series {
  labels: Labels;
  points: [bigint, number][];
}

/** Per range aggregation, each row's series labels, key and value (NaN: no sample), computed once for all steps. */
type Prepared = Map<MetricQuery, { labels: Labels[]; keys: string[]; values: number[] }>;

/** Evaluates at each step time (nanoseconds); a series exists at the steps where it has a value, as in Loki. */
export function evaluateRange(q: MetricQuery, steps: readonly bigint[], input: MetricInput): Series[] {
  const series = new Map<string, Series>();
  const prepared: Prepared = new Map();
  for (const t of steps) {
    input.check?.();
    const at = evaluateAt(q, t, input, prepared);
    const samples = at.kind === 'scalar' ? [{ labels: {}, value: at.value }] : at.samples;
    for (const s of samples) {
      const key = streamKey(s.labels);
      let entry = series.get(key);
      if (!entry) series.set(key, (entry = { labels: s.labels, points: [] }));
      entry.points.push([t, s.value]);
    }
  }
  return [...series.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, s]) => s);
}

export function evaluateAt(q: MetricQuery, t: bigint, input: MetricInput, prepared: Prepared = new Map()): Instant {
  switch (q.kind) {
    case 'literal':
      return { kind: 'scalar', value: q.value };
    case 'vector':
      return { kind: 'vector', samples: [{ labels: {}, value: q.value }] };
    case 'range':
      return { kind: 'vector', samples: rangeAggregate(q, t, input, prepared) };
    case 'aggregate': {
      const inner = evaluateAt(q.expr, t, input, prepared);
      const samples = inner.kind === 'scalar' ? [{ labels: {}, value: inner.value }] : inner.samples;
      return { kind: 'vector', samples: vectorAggregate(q.op, samples, q.grouping, q.param) };
    }
    case 'binary':
      return binary(
        q.op,
        q.bool ?? false,
        evaluateAt(q.left, t, input, prepared),
        evaluateAt(q.right, t, input, prepared),
        q.matching,
      );
    case 'labelReplace': {
      const inner = evaluateAt(q.expr, t, input, prepared);
      const samples = inner.kind === 'scalar' ? [{ labels: {}, value: inner.value }] : inner.samples;
      return { kind: 'vector', samples: samples.map((s) => ({ labels: labelReplace(s.labels, q), value: s.value })) };
    }
  }
}

/** Prometheus' label_replace: when the (anchored) regex matches the source label, dst = the expanded replacement. */
function labelReplace(labels: Labels, q: Extract<MetricQuery, { kind: 'labelReplace' }>): Labels {
  const m = q.regex.match(labels[q.src] ?? '');
  if (!m) return labels;
  const value = q.replacement.replace(
    /\$(?:(\$)|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g,
    (_, dollar: string, braced: string, bare: string) => {
      if (dollar) return '$';
      const name = braced ?? bare;
      const group = /^\d+$/.test(name) ? m.groups[Number(name)] : m.named[name];
      return group ?? '';
    },
  );
  const out = { ...labels };
  if (value === '') delete out[q.dst];
  else out[q.dst] = value;
  return out;
}

type RangeQuery = Extract<MetricQuery, { kind: 'range' }>;

function rangeAggregate(q: RangeQuery, t: bigint, input: MetricInput, prepared: Prepared): Sample[] {
  const rows = input.rows(q.log);
  const { labels, keys, values } = prepared.get(q) ?? prepared.set(q, prepare(q, rows, input.keepFields)).get(q)!;
  const end = t - BigInt(q.offsetMs) * 1_000_000n;
  const start = end - BigInt(q.rangeMs) * 1_000_000n;
  const groups = new Map<string, { labels: Labels; values: number[]; times: bigint[] }>();
  for (let i = firstAfter(rows, start); i < rows.length && rows[i].ts <= end; i++) {
    if (Number.isNaN(values[i])) continue;
    let g = groups.get(keys[i]);
    if (!g) groups.set(keys[i], (g = { labels: labels[i], values: [], times: [] }));
    g.values.push(values[i]);
    g.times.push(rows[i].ts);
  }
  const seconds = q.rangeMs / 1000;
  if (q.op === 'absent_over_time') return groups.size > 0 ? [] : [{ labels: absentLabels(q), value: 1 }];
  if (q.op === 'rate_counter') {
    const out: Sample[] = [];
    for (const g of groups.values())
      out.push({ labels: g.labels, value: counterRate(g.times, g.values, start, end, seconds) });
    return out;
  }
  return [...groups.values()].map(({ labels, values }) => ({
    labels,
    value: overTime(q.op, values, seconds, q.param, q.unwrap !== undefined),
  }));
}

/** Loki's absent_over_time labels: the selector's equality matchers (`absentLabels`, pkg/logql/evaluator.go). */
function absentLabels(q: RangeQuery): Labels {
  const out: Labels = {};
  const seen = new Set<string>();
  for (const m of q.log.selector) {
    if (seen.has(m.name)) delete out[m.name];
    else if (m.op === '=') out[m.name] = m.value;
    seen.add(m.name);
  }
  return q.grouping ? group(out, q.grouping) : out;
}

/**
 * Prometheus' extrapolatedRate for counters (Loki's rate_counter uses it, pkg/logql/range_vector.go): the increase
 * over the window, counter resets added back, extrapolated to the window's edges, per second.
 */
function counterRate(times: bigint[], values: number[], start: bigint, end: bigint, rangeSeconds: number): number {
  if (values.length < 2) return NaN;
  let increase = values[values.length - 1] - values[0];
  for (let i = 1; i < values.length; i++) if (values[i] < values[i - 1]) increase += values[i - 1];
  const sec = (ns: bigint) => Number(ns) / 1e9;
  const sampled = sec(times[times.length - 1] - times[0]);
  let toStart = sec(times[0] - start);
  const toEnd = sec(end - times[times.length - 1]);
  const average = sampled / (values.length - 1);
  if (increase > 0 && values[0] >= 0) toStart = Math.min(toStart, sampled * (values[0] / increase));
  const threshold = average * 1.1;
  let extrapolate = sampled;
  extrapolate += toStart < threshold ? toStart : average / 2;
  extrapolate += toEnd < threshold ? toEnd : average / 2;
  return sampled > 0 ? (increase * (extrapolate / sampled)) / rangeSeconds : NaN;
}

/** Each row's series and value: 1, its bytes, or its unwrapped label (NaN when not a number: skipped). */
function prepare(q: RangeQuery, rows: readonly Row[], keep: ReadonlySet<string>) {
  const labels: Labels[] = [];
  const keys: string[] = [];
  const values: number[] = [];
  for (const original of rows) {
    let row = original;
    let value = 1;
    if (q.unwrap) {
      const raw = labelOf(row, q.unwrap);
      value = convert(raw, q.conversion);
      if (Number.isNaN(value) && row.parsed.__error__ === undefined) {
        const details =
          raw === undefined || raw === ''
            ? `label "${q.unwrap}" is missing or empty`
            : `cannot convert "${raw}" to a number`;
        row = { ...row, parsed: { ...row.parsed, __error__: 'SampleExtractionErr', __error_details__: details } };
      }
      if (q.postUnwrap && !q.postUnwrap.every((p) => holdsFor(p, row))) {
        labels.push({});
        keys.push('');
        values.push(NaN);
        continue;
      }
    } else if (q.op === 'bytes_over_time' || q.op === 'bytes_rate') {
      value = Buffer.byteLength(row.line);
    }
    const error = row.parsed.__error__;
    if (error !== undefined) throw new PipelineError(error, streamKey(seriesLabels(row, keep, q.unwrap)));
    const series = group(seriesLabels(row, keep, q.unwrap), q.grouping);
    labels.push(series);
    keys.push(streamKey(series));
    values.push(value);
  }
  return { labels, keys, values };
}

/** An unwrapped label as a number (Loki: strconv.ParseFloat, time.ParseDuration, humanize.ParseBytes); NaN if it is not one. */
function convert(raw: string | undefined, conversion: UnwrapConversion | undefined): number {
  if (raw === undefined || raw === '') return NaN;
  if (conversion === 'duration' || conversion === 'duration_seconds') return goDurationSeconds(raw);
  if (conversion === 'bytes') return parseBytes(raw);
  if (
    !/^[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[iI]nf(?:inity)?|NaN)$/.test(raw) &&
    !/^[-+]?0[xX][0-9a-fA-F]+$/.test(raw)
  )
    return NaN;
  const n = /inf/i.test(raw) ? (raw.startsWith('-') ? -Infinity : Infinity) : Number(raw);
  return n;
}

function overTime(
  op: Extract<MetricQuery, { kind: 'range' }>['op'],
  values: number[],
  seconds: number,
  param?: number,
  unwrapped = false,
): number {
  switch (op) {
    case 'count_over_time':
      return values.length;
    case 'rate':
      return (unwrapped ? sum(values) : values.length) / seconds;
    case 'stddev_over_time':
      return Math.sqrt(variance(values));
    case 'stdvar_over_time':
      return variance(values);
    case 'first_over_time':
      return values[0];
    case 'last_over_time':
      return values[values.length - 1];
    case 'absent_over_time':
      return 1;
    case 'rate_counter':
      return NaN; // evaluated by counterRate
    case 'bytes_over_time':
    case 'sum_over_time':
      return sum(values);
    case 'bytes_rate':
      return sum(values) / seconds;
    case 'avg_over_time':
      return sum(values) / values.length;
    case 'min_over_time':
      return values.reduce((a, b) => Math.min(a, b), Infinity);
    case 'max_over_time':
      return values.reduce((a, b) => Math.max(a, b), -Infinity);
    case 'quantile_over_time':
      return quantile(param ?? 0.5, values);
  }
}

function vectorAggregate(
  op: Extract<MetricQuery, { kind: 'aggregate' }>['op'],
  samples: Sample[],
  grouping: Grouping | undefined,
  param?: number,
): Sample[] {
  // sort / sort_desc keep every sample, ordered by value (an instant query's vector keeps that order)
  if (op === 'sort') return [...samples].sort((a, b) => a.value - b.value);
  if (op === 'sort_desc') return [...samples].sort((a, b) => b.value - a.value);
  const groups = new Map<string, { labels: Labels; members: Sample[] }>();
  for (const s of samples) {
    const labels = grouping ? group(s.labels, grouping) : {};
    const key = streamKey(labels);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { labels, members: [] }));
    g.members.push(s);
  }
  const out: Sample[] = [];
  for (const { labels, members } of groups.values()) {
    const values = members.map((m) => m.value);
    switch (op) {
      case 'sum':
        out.push({ labels, value: sum(values) });
        break;
      case 'avg':
        out.push({ labels, value: sum(values) / values.length });
        break;
      case 'min':
        out.push({ labels, value: values.reduce((a, b) => Math.min(a, b), Infinity) });
        break;
      case 'max':
        out.push({ labels, value: values.reduce((a, b) => Math.max(a, b), -Infinity) });
        break;
      case 'count':
        out.push({ labels, value: values.length });
        break;
      case 'stddev':
        out.push({ labels, value: Math.sqrt(variance(values)) });
        break;
      case 'stdvar':
        out.push({ labels, value: variance(values) });
        break;
      case 'topk':
      case 'bottomk': {
        const sorted = [...members].sort((a, b) => (op === 'topk' ? b.value - a.value : a.value - b.value));
        out.push(...sorted.slice(0, Math.max(0, Math.floor(param ?? 0))));
        break;
      }
    }
  }
  return out;
}

function variance(values: number[]): number {
  const mean = sum(values) / values.length;
  return values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length;
}

const COMPARISONS = new Set<BinaryOp>(['==', '!=', '>', '>=', '<', '<=']);

/**
 * Arithmetic and comparisons as Prometheus / Loki do them: a comparison without `bool` filters (keeps the vector
 * side's sample, value unchanged); with `bool` it yields 0 or 1 for every pair. Two vectors match on equal labels.
 */
function binary(op: BinaryOp, bool: boolean, left: Instant, right: Instant, matching?: VectorMatching): Instant {
  if (op === 'and' || op === 'or' || op === 'unless') return setOperation(op, left, right, matching);
  const comparison = COMPARISONS.has(op);
  const apply = (a: number, b: number, keep: number): number | undefined => {
    if (!comparison) return arithmetic(op, a, b);
    const holds = compare(a, op as CompareOp, b);
    if (bool) return holds ? 1 : 0;
    return holds ? keep : undefined;
  };
  const push = (out: Sample[], labels: Labels, value: number | undefined) => {
    if (value !== undefined) out.push({ labels, value });
  };
  if (left.kind === 'scalar' && right.kind === 'scalar')
    return { kind: 'scalar', value: apply(left.value, right.value, left.value) ?? NaN };
  const samples: Sample[] = [];
  if (right.kind === 'scalar') {
    for (const s of (left as { samples: Sample[] }).samples)
      push(samples, s.labels, apply(s.value, right.value, s.value));
  } else if (left.kind === 'scalar') {
    for (const s of right.samples) push(samples, s.labels, apply(left.value, s.value, s.value));
  } else if (!matching) {
    const byKey = new Map(right.samples.map((s) => [streamKey(s.labels), s]));
    for (const s of left.samples) {
      const match = byKey.get(streamKey(s.labels));
      if (match) push(samples, s.labels, apply(s.value, match.value, s.value));
    }
  } else {
    // Prometheus' vector matching: the "one" side by signature; the result keeps the "many" side's labels (one-to-one:
    // reduced to the `on` labels, or without the `ignoring` ones) plus, with group_x, the included labels of the one side
    const sig = (labels: Labels) => streamKey(matchingLabels(labels, matching));
    const manyIsLeft = matching.group !== 'right';
    const [many, one] = manyIsLeft ? [left.samples, right.samples] : [right.samples, left.samples];
    const ones = new Map<string, Sample>();
    for (const s of one) {
      const key = sig(s.labels);
      if (ones.has(key))
        throw new UnsupportedQuery(
          `found duplicate series for the match group ${key} on the ${manyIsLeft ? 'right' : 'left'} hand-side of the operation: many-to-many matching not allowed: matching labels must be unique on one side`,
        );
      ones.set(key, s);
    }
    const seen = new Set<string>();
    for (const s of many) {
      const match = ones.get(sig(s.labels));
      if (!match) continue;
      let labels: Labels;
      if (!matching.group) {
        labels = matchingLabels(s.labels, matching);
        if (seen.has(streamKey(labels)))
          throw new UnsupportedQuery(
            'multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)',
          );
        seen.add(streamKey(labels));
      } else {
        labels = { ...s.labels };
        for (const name of matching.include) {
          if (match.labels[name] !== undefined && match.labels[name] !== '') labels[name] = match.labels[name];
          else delete labels[name];
        }
      }
      const [a, b] = manyIsLeft ? [s.value, match.value] : [match.value, s.value];
      push(samples, labels, apply(a, b, a));
    }
  }
  return { kind: 'vector', samples };
}

/** The labels two samples are matched on: `on(...)` keeps those, `ignoring(...)` drops them. */
function matchingLabels(labels: Labels, matching: VectorMatching | undefined): Labels {
  if (!matching) return labels;
  if (matching.on)
    return Object.fromEntries(matching.labels.filter((k) => labels[k] !== undefined).map((k) => [k, labels[k]]));
  return Object.fromEntries(Object.entries(labels).filter(([k]) => !matching.labels.includes(k)));
}

/** `and`: left samples with a match on the right; `unless`: without one; `or`: left, then right samples not on the left. */
function setOperation(op: 'and' | 'or' | 'unless', left: Instant, right: Instant, matching?: VectorMatching): Instant {
  const samples = (i: Instant) => (i.kind === 'scalar' ? [{ labels: {}, value: i.value }] : i.samples);
  const [l, r] = [samples(left), samples(right)];
  const sig = (s: Sample) => streamKey(matchingLabels(s.labels, matching));
  const rightKeys = new Set(r.map(sig));
  if (op === 'and') return { kind: 'vector', samples: l.filter((s) => rightKeys.has(sig(s))) };
  if (op === 'unless') return { kind: 'vector', samples: l.filter((s) => !rightKeys.has(sig(s))) };
  const leftKeys = new Set(l.map(sig));
  return { kind: 'vector', samples: [...l, ...r.filter((s) => !leftKeys.has(sig(s)))] };
}

function arithmetic(op: BinaryOp, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '%':
      return a % b;
    case '^':
      return a ** b;
    default:
      return NaN;
  }
}

/** The labels a row's series carries: stream and parsed labels, plus the anomaly fields some grouping asks for. */
function seriesLabels(row: Row, keep: ReadonlySet<string>, unwrap?: string): Labels {
  const labels: Labels = { ...row.stream, ...row.parsed };
  // structured metadata is part of a series' labels in Loki 3 (detected_level, level); the anomaly fields only when grouped by
  for (const [name, value] of Object.entries(row.fields))
    if (!isAnomalyField(name) && labels[name] === undefined) labels[name] = value;
  for (const name of keep) if (row.fields[name] !== undefined) labels[name] = row.fields[name];
  if (unwrap) delete labels[unwrap];
  return labels;
}

function group(labels: Labels, grouping: Grouping | undefined): Labels {
  if (!grouping) return labels;
  if (grouping.without) return Object.fromEntries(Object.entries(labels).filter(([k]) => !grouping.labels.includes(k)));
  return Object.fromEntries(grouping.labels.filter((k) => labels[k] !== undefined).map((k) => [k, labels[k]]));
}

/** The index of the first row strictly after `ts` (rows are sorted by time). */
function firstAfter(rows: readonly Row[], ts: bigint): number {
  let [lo, hi] = [0, rows.length];
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (rows[mid].ts <= ts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** Prometheus' quantile: linear interpolation between the closest ranks. */
function quantile(q: number, values: number[]): number {
  if (values.length === 0) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = q * (sorted.length - 1);
  const lower = Math.floor(rank);
  const upper = Math.min(lower + 1, sorted.length - 1);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (rank - lower);
}

/** A sample value as Loki writes it. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
