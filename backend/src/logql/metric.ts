import { streamKey, type Labels } from '../stream.js';
import type { ArithmeticOp, Grouping, LogQuery, MetricQuery } from './ast.js';
import { labelOf, type Row } from './stages.js';

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
}

export interface Series {
  labels: Labels;
  points: [bigint, number][];
}

/** Per range aggregation, each row's series labels, key and value, computed once for all steps. */
type Prepared = Map<MetricQuery, { labels: Labels[]; keys: string[]; values: number[] }>;

/** Evaluates at each step time (nanoseconds); a series exists at the steps where it has a value, as in Loki. */
export function evaluateRange(q: MetricQuery, steps: readonly bigint[], input: MetricInput): Series[] {
  const series = new Map<string, Series>();
  const prepared: Prepared = new Map();
  for (const t of steps) {
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
      return binary(q.op, evaluateAt(q.left, t, input, prepared), evaluateAt(q.right, t, input, prepared));
  }
}

type RangeQuery = Extract<MetricQuery, { kind: 'range' }>;

function rangeAggregate(q: RangeQuery, t: bigint, input: MetricInput, prepared: Prepared): Sample[] {
  const rows = input.rows(q.log);
  const { labels, keys, values } = prepared.get(q) ?? prepared.set(q, prepare(q, rows, input.keepFields)).get(q)!;
  const end = t - BigInt(q.offsetMs) * 1_000_000n;
  const start = end - BigInt(q.rangeMs) * 1_000_000n;
  const groups = new Map<string, { labels: Labels; values: number[] }>();
  for (let i = firstAfter(rows, start); i < rows.length && rows[i].ts <= end; i++) {
    if (Number.isNaN(values[i])) continue;
    let g = groups.get(keys[i]);
    if (!g) groups.set(keys[i], (g = { labels: labels[i], values: [] }));
    g.values.push(values[i]);
  }
  const seconds = q.rangeMs / 1000;
  return [...groups.values()].map(({ labels, values }) => ({ labels, value: overTime(q.op, values, seconds, q.param) }));
}

/** Each row's series and value: 1, its bytes, or its unwrapped label (NaN when not a number: skipped). */
function prepare(q: RangeQuery, rows: readonly Row[], keep: ReadonlySet<string>) {
  const labels: Labels[] = [];
  const keys: string[] = [];
  const values: number[] = [];
  for (const row of rows) {
    let value = 1;
    if (q.unwrap) {
      const raw = labelOf(row, q.unwrap);
      value = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
    } else if (q.op === 'bytes_over_time' || q.op === 'bytes_rate') {
      value = Buffer.byteLength(row.line);
    }
    const series = group(seriesLabels(row, keep, q.unwrap), q.grouping);
    labels.push(series);
    keys.push(streamKey(series));
    values.push(value);
  }
  return { labels, keys, values };
}

function overTime(op: Extract<MetricQuery, { kind: 'range' }>['op'], values: number[], seconds: number, param?: number): number {
  switch (op) {
    case 'count_over_time':
      return values.length;
    case 'rate':
      return values.length / seconds;
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

function vectorAggregate(op: Extract<MetricQuery, { kind: 'aggregate' }>['op'], samples: Sample[], grouping: Grouping | undefined, param?: number): Sample[] {
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
      case 'sum': out.push({ labels, value: sum(values) }); break;
      case 'avg': out.push({ labels, value: sum(values) / values.length }); break;
      case 'min': out.push({ labels, value: values.reduce((a, b) => Math.min(a, b), Infinity) }); break;
      case 'max': out.push({ labels, value: values.reduce((a, b) => Math.max(a, b), -Infinity) }); break;
      case 'count': out.push({ labels, value: values.length }); break;
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

function binary(op: ArithmeticOp, left: Instant, right: Instant): Instant {
  if (left.kind === 'scalar' && right.kind === 'scalar') return { kind: 'scalar', value: arithmetic(op, left.value, right.value) };
  if (right.kind === 'scalar') return { kind: 'vector', samples: (left as { samples: Sample[] }).samples.map((s) => ({ labels: s.labels, value: arithmetic(op, s.value, right.value) })) };
  if (left.kind === 'scalar') return { kind: 'vector', samples: right.samples.map((s) => ({ labels: s.labels, value: arithmetic(op, left.value, s.value) })) };
  const byKey = new Map(right.samples.map((s) => [streamKey(s.labels), s]));
  const samples: Sample[] = [];
  for (const s of left.samples) {
    const match = byKey.get(streamKey(s.labels));
    if (match) samples.push({ labels: s.labels, value: arithmetic(op, s.value, match.value) });
  }
  return { kind: 'vector', samples };
}

function arithmetic(op: ArithmeticOp, a: number, b: number): number {
  switch (op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    case '/': return a / b;
    case '%': return a % b;
    case '^': return a ** b;
  }
}

/** The labels a row's series carries: stream and parsed labels, plus the anomaly fields some grouping asks for. */
function seriesLabels(row: Row, keep: ReadonlySet<string>, unwrap?: string): Labels {
  const labels: Labels = { ...row.stream, ...row.parsed };
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
