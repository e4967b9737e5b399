import type { Instant, Series } from '../../logql/metric.js';
import { formatValue } from '../../logql/metric.js';
import type { Row } from '../../logql/stages.js';
import { streamKey, type Labels } from '../../stream.js';

/**
 * Loki's sample time: seconds with millisecond decimals, written exactly (Prometheus `model.Time`, which Loki's
 * marshaller writes as `FormatFloat(ms/1e3, 'f', -1)`). The decimal is built from the integer milliseconds, so the
 * number JSON writes is that decimal (13 significant digits round-trip through a double); `Number(ns) / 1e9` was
 * off by a few ulps, and Grafana's `timeFromFloat` (`int64(f * 1000)`) then lands about 13% of points 1 ms early.
 */
export const seconds = (ns: bigint): number => {
  const ms = ns >= 0n ? ns / 1_000_000n : -((-ns + 999_999n) / 1_000_000n);
  const whole = ms / 1000n;
  const frac = ms % 1000n;
  return frac === 0n ? Number(whole) : Number(`${whole}.${String(frac < 0n ? -frac : frac).padStart(3, '0')}`);
};

export function stats(lines: number, bytes: number, returned: number, execSeconds: number) {
  return {
    summary: {
      bytesProcessedPerSecond: execSeconds > 0 ? Math.round(bytes / execSeconds) : bytes,
      linesProcessedPerSecond: execSeconds > 0 ? Math.round(lines / execSeconds) : lines,
      totalBytesProcessed: bytes,
      totalLinesProcessed: lines,
      execTime: execSeconds,
      queueTime: 0,
      totalEntriesReturned: returned,
    },
  };
}

/**
 * The streams of a log answer (query_range's `result`, a tail message's `streams`). With categorize-labels the
 * anomaly fields are structured metadata in each value's third element; otherwise they are labels, so a stream
 * splits per label set, as Loki does with structured metadata.
 */
export function streamsResult(rows: readonly Row[], categorize: boolean): { stream: Labels; values: unknown[] }[] {
  const streams = new Map<string, { stream: Labels; values: unknown[] }>();
  const streamKeys = new Map<Labels, string>();
  for (const row of rows) {
    const base = streamKeys.get(row.stream) ?? streamKeys.set(row.stream, streamKey(row.stream)).get(row.stream)!;
    // the anomaly fields are always built in the same order, so names and values in that order identify them
    const extra = categorize
      ? ''
      : `${Object.keys(row.parsed).length > 0 ? streamKey(row.parsed) : ''}${Object.entries(row.fields).flat().join('\u0000')}`;
    const key = base + extra;
    let s = streams.get(key);
    if (!s)
      streams.set(
        key,
        (s = { stream: categorize ? row.stream : { ...row.stream, ...row.parsed, ...row.fields }, values: [] }),
      );
    const ts = row.ts.toString();
    if (!categorize) {
      s.values.push([ts, row.line]);
    } else {
      const meta: { structuredMetadata?: Labels; parsed?: Labels } = { structuredMetadata: row.fields };
      if (Object.keys(row.parsed).length > 0) meta.parsed = row.parsed;
      s.values.push([ts, row.line, meta]);
    }
  }
  return [...streams.values()];
}

/** `resultType: "streams"`; with categorize-labels `encodingFlags` comes before `result` (Grafana reads it first). */
export function streamsData(rows: readonly Row[], categorize: boolean, stat: ReturnType<typeof stats>) {
  const result = streamsResult(rows, categorize);
  return categorize
    ? { resultType: 'streams', encodingFlags: ['categorize-labels'], result, stats: stat }
    : { resultType: 'streams', result, stats: stat };
}

export function matrixData(series: readonly Series[], stat: ReturnType<typeof stats>) {
  return {
    resultType: 'matrix',
    result: series.map((s) => ({ metric: s.labels, values: s.points.map(([t, v]) => [seconds(t), formatValue(v)]) })),
    stats: stat,
  };
}

/** An instant vector, ordered by labels, or as it is when the query ends in sort / sort_desc (`ordered`). */
export function instantData(value: Instant, t: bigint, stat: ReturnType<typeof stats>, ordered = false) {
  if (value.kind === 'scalar')
    return { resultType: 'scalar', result: [seconds(t), formatValue(value.value)], stats: stat };
  const sorted = ordered
    ? value.samples
    : [...value.samples].sort((a, b) => (streamKey(a.labels) < streamKey(b.labels) ? -1 : 1));
  return {
    resultType: 'vector',
    result: sorted.map((s) => ({ metric: s.labels, value: [seconds(t), formatValue(s.value)] })),
    stats: stat,
  };
}

/** Drain's `<*>` as Loki's pattern placeholder `<_>`. */
export const lokiPattern = (template: string) => template.replaceAll('<*>', '<_>');
