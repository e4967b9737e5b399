import { groupedAnomalyFields, type LogQuery, type MetricQuery } from '../../logql/ast.js';
import { evaluateAt, evaluateRange, type Instant, type Series } from '../../logql/metric.js';
import { applyStages, type Row } from '../../logql/stages.js';
import { compareTs, nsToMs, streamKey } from '../../stream.js';
import { passesLineFilters } from '../../logql/line-filter.js';
import type { SourceEntry } from '../../sources/index.js';
import type { DetectorKind } from '../../types.js';
import type { AppContext } from '../../service/context.js';
import { NoModelError } from '../../service/registry.js';
import type { Deadline } from './deadline.js';
import { ScoredFileIndex } from './scored-index.js';
import { StreamScorer } from '../../service/stream-scoring.js';
import type { StreamItem, StreamResult } from '../../service/types.js';
import { withServiceName } from '../../logql/derived.js';
import { LevelReader, scoredRow, selects, sourceMatchers } from './streams.js';

/** A half-open time window in nanoseconds: [start, end). */
export interface Window {
  start: bigint;
  end: bigint;
}

/**
 * The rows of a log query over a window: file streams from the scored index, Loki streams read (selector and
 * leading line filters pushed down) and scored in time order with the model routed to each stream; then the
 * remaining stages. Rows come back sorted by time.
 *
 * Feedback in effect (suppressions, confirmations) is applied to every row as it is read.
 *
 * A selected stream that no model scores (a `streams` route to a model not trained yet) is left out, with a note in
 * `warnings` (Loki's response `warnings`, which Grafana shows), so `{job=~".+"}` still answers for the others; when
 * no selected stream can be scored, the NoModelError stands (503).
 */
export async function scoredRows(
  ctx: AppContext,
  log: LogQuery,
  window: Window,
  detector?: DetectorKind,
  warnings?: Set<string>,
  deadline?: Deadline,
): Promise<Row[]> {
  const rows: Row[] = [];
  let seen = 0;
  const tick = () => {
    if ((++seen & 4095) === 0) deadline?.check();
  };
  let unscored: NoModelError | undefined;
  let scoredStreams = 0;
  const skip = (labels: Record<string, string>, err: unknown) => {
    if (!(err instanceof NoModelError)) throw err;
    unscored ??= err;
    warnings?.add(`stream ${formatLabels(labels)} left out: ${err.message}`);
  };
  const feedback = ctx.models.feedback;
  const keep = (row: Row) => {
    // The one place the Loki API applies feedback: rows carry the model's verdicts, so feedback given, undone or
    // expired since they were scored and cached holds on the next query.
    const fields = feedback.applyToFields(row.stream, row.fields);
    const out = applyStages(fields === row.fields ? row : { ...row, fields }, log.stages);
    if (out) rows.push(out);
  };
  if (ctx.sources.file) {
    const index = indexFor(ctx);
    for (const file of await ctx.sources.file.files(sourceMatchers(log.selector))) {
      if (!selects(log.selector, file.labels)) continue;
      let fileRows: readonly Row[];
      try {
        fileRows = await index.rows(file, detector, window);
      } catch (err) {
        skip(file.labels, err);
        continue;
      }
      deadline?.check();
      scoredStreams++;
      for (const row of fileRows) {
        tick();
        if (row.ts >= window.start && row.ts < window.end && passesLineFilters(row.line, log.lineFilters)) keep(row);
      }
    }
  }
  if (ctx.sources.loki) {
    const byStream = new Map<string, SourceEntry[]>();
    for await (const entry of ctx.sources.loki.read({
      selector: log.selector,
      lineFilters: log.lineFilters,
      start: window.start,
      end: window.end,
    })) {
      tick();
      const key = streamKey(entry.labels);
      (byStream.get(key) ?? byStream.set(key, []).get(key)!).push(entry);
    }
    for (const entries of byStream.values()) {
      const scorer = new StreamScorer<SourceEntry & StreamItem>(ctx, entries[0].labels, {
        detector,
        fallback: Date.now,
      });
      let results: StreamResult<SourceEntry & StreamItem>[];
      try {
        deadline?.check();
        results = await scorer.score(entries.map((e) => ({ ...e, ms: nsToMs(e.ts) })));
      } catch (err) {
        skip(entries[0].labels, err);
        continue;
      }
      scoredStreams++;
      const levels = new LevelReader(entries.slice(0, 100).map((e) => e.line));
      const stream = withServiceName(entries[0].labels);
      for (const result of [...results, ...scorer.end()]) {
        tick();
        keep(scoredRow(stream, result.item.ts, result, levels));
      }
    }
  }
  if (unscored && scoredStreams === 0) throw unscored;
  return rows.sort(compareTs);
}

const indexes = new WeakMap<AppContext, ScoredFileIndex>();
const formatLabels = (labels: Record<string, string>) =>
  `{${Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ')}}`;

/** One scored index per app context, shared by every mount of the Loki routes. */
export function indexFor(ctx: AppContext): ScoredFileIndex {
  return indexes.get(ctx) ?? indexes.set(ctx, new ScoredFileIndex(ctx)).get(ctx)!;
}

/** Log query result: at most `limit` rows, the newest first for `backward`. */
export async function runLogQuery(
  ctx: AppContext,
  log: LogQuery,
  window: Window,
  opts: {
    limit: number;
    direction: 'forward' | 'backward';
    detector?: DetectorKind;
    warnings?: Set<string>;
    deadline?: Deadline;
  },
): Promise<{ rows: Row[]; scanned: number }> {
  const rows = await scoredRows(ctx, log, window, opts.detector, opts.warnings, opts.deadline);
  const picked = opts.direction === 'forward' ? rows.slice(0, opts.limit) : rows.slice(-opts.limit).reverse();
  return { rows: picked, scanned: rows.length };
}

/** Reads every log query of a metric query over the window its ranges need, then evaluates it at `steps`. */
export async function runMetricQuery(
  ctx: AppContext,
  q: MetricQuery,
  steps: readonly bigint[],
  detector?: DetectorKind,
  warnings?: Set<string>,
  deadline?: Deadline,
): Promise<{ evaluate: () => Series[]; at: (t: bigint) => Instant; scanned: number }> {
  const rowsOf = new Map<LogQuery, Row[]>();
  let scanned = 0;
  const first = steps[0];
  const last = steps[steps.length - 1];
  for (const { log, lookbackNs } of rangesOf(q)) {
    const rows = await scoredRows(
      ctx,
      log,
      { start: first - lookbackNs + 1n, end: last + 1n },
      detector,
      warnings,
      deadline,
    );
    rowsOf.set(log, rows);
    scanned += rows.length;
  }
  const input = {
    rows: (log: LogQuery) => rowsOf.get(log) ?? [],
    keepFields: groupedAnomalyFields(q),
    check: deadline && (() => deadline.check()),
  };
  return { evaluate: () => evaluateRange(q, steps, input), at: (t) => evaluateAt(q, t, input), scanned };
}

function rangesOf(q: MetricQuery): { log: LogQuery; lookbackNs: bigint }[] {
  switch (q.kind) {
    case 'range':
      return [{ log: q.log, lookbackNs: BigInt(q.rangeMs + q.offsetMs) * 1_000_000n }];
    case 'aggregate':
    case 'labelReplace':
      return rangesOf(q.expr);
    case 'binary':
      return [...rangesOf(q.left), ...rangesOf(q.right)];
    default:
      return [];
  }
}
