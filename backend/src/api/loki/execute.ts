import type { Scorer } from '../../pipeline/index.js';
import { anomalyFields, groupedAnomalyFields, type LogQuery, type MetricQuery } from '../../logql/ast.js';
import { evaluateAt, evaluateRange, type Instant, type Series } from '../../logql/metric.js';
import { applyStages, type Row } from '../../logql/stages.js';
import { compareTs, nsToMs, streamKey, type SourceEntry } from '../../sources/index.js';
import type { DetectorKind, ScoredLine } from '../../types.js';
import type { AppContext } from '../context.js';

/** A half-open time window in nanoseconds: [start, end). */
export interface Window {
  start: bigint;
  end: bigint;
}

/**
 * Reads a log query's streams from the sources (selector and leading line filters pushed down), scores each stream
 * in time order with the model routed to it, and runs the remaining stages. Rows come back sorted by time.
 */
export async function scoredRows(ctx: AppContext, log: LogQuery, window: Window, detector?: DetectorKind): Promise<Row[]> {
  const byStream = new Map<string, SourceEntry[]>();
  for await (const entry of ctx.sources.read({ selector: log.selector, lineFilters: log.lineFilters, start: window.start, end: window.end })) {
    const key = streamKey(entry.labels);
    const list = byStream.get(key);
    if (list) list.push(entry);
    else byStream.set(key, [entry]);
  }
  const rows: Row[] = [];
  for (const entries of byStream.values()) {
    entries.sort(compareTs);
    const scorer = ctx.models.scorerFor(entries[0].labels, detector);
    for (const { entry, scored } of scoreInOrder(scorer, entries)) {
      const row = applyStages({ stream: entry.labels, ts: entry.ts, line: entry.line, fields: anomalyFields(scored), parsed: {} }, log.stages);
      if (row) rows.push(row);
    }
  }
  return rows.sort(compareTs);
}

/** Pairs each scored line with the entry it came from (the scorer returns lines in input order, maybe later). */
export function* scoreInOrder(scorer: Scorer, entries: readonly SourceEntry[]): Iterable<{ entry: SourceEntry; scored: ScoredLine }> {
  let head = 0;
  function* pair(lines: ScoredLine[]) {
    for (const scored of lines) {
      while (head < entries.length && entries[head].line !== scored.line) head++; // a line the scorer dropped (a CSV header)
      if (head < entries.length) yield { entry: entries[head++], scored };
    }
  }
  for (const entry of entries) yield* pair(scorer.push(entry.line, nsToMs(entry.ts)));
  yield* pair(scorer.end());
}

/** Log query result: at most `limit` rows, the newest first for `backward`. */
export async function runLogQuery(
  ctx: AppContext,
  log: LogQuery,
  window: Window,
  opts: { limit: number; direction: 'forward' | 'backward'; detector?: DetectorKind },
): Promise<{ rows: Row[]; scanned: number }> {
  const rows = await scoredRows(ctx, log, window, opts.detector);
  const picked = opts.direction === 'forward' ? rows.slice(0, opts.limit) : rows.slice(-opts.limit).reverse();
  return { rows: picked, scanned: rows.length };
}

/** Reads every log query of a metric query over the window its ranges need, then evaluates it at `steps`. */
export async function runMetricQuery(
  ctx: AppContext,
  q: MetricQuery,
  steps: readonly bigint[],
  detector?: DetectorKind,
): Promise<{ evaluate: () => Series[]; at: (t: bigint) => Instant; scanned: number }> {
  const rowsOf = new Map<LogQuery, Row[]>();
  let scanned = 0;
  const first = steps[0];
  const last = steps[steps.length - 1];
  for (const { log, lookbackNs } of rangesOf(q)) {
    const rows = await scoredRows(ctx, log, { start: first - lookbackNs + 1n, end: last + 1n }, detector);
    rowsOf.set(log, rows);
    scanned += rows.length;
  }
  const input = { rows: (log: LogQuery) => rowsOf.get(log) ?? [], keepFields: groupedAnomalyFields(q) };
  return { evaluate: () => evaluateRange(q, steps, input), at: (t) => evaluateAt(q, t, input), scanned };
}

function rangesOf(q: MetricQuery): { log: LogQuery; lookbackNs: bigint }[] {
  switch (q.kind) {
    case 'range':
      return [{ log: q.log, lookbackNs: BigInt(q.rangeMs + q.offsetMs) * 1_000_000n }];
    case 'aggregate':
      return rangesOf(q.expr);
    case 'binary':
      return [...rangesOf(q.left), ...rangesOf(q.right)];
    default:
      return [];
  }
}
