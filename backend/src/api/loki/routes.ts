import { DETECTOR_KINDS, isDetectorKind } from '@anomalog/contract';
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { touchesAnomalyFields, UnsupportedQuery, type Query } from '../../logql/ast.js';
import { parseLogQuery, parseQuery } from '../../logql/parse.js';
import { PipelineInputError } from '../../pipeline/index.js';
import { SourceError } from '../../sources/index.js';
import { streamKey, type Labels } from '../../stream.js';
import type { DetectorKind } from '../../types.js';
import { SEVERITY_VALUES } from '@anomalog/contract';
import type { AppContext } from '../../service/context.js';
import { NoModelError } from '../../service/registry.js';
import { Deadline, QueryStopped } from './deadline.js';
import { indexFor, runLogQuery, runMetricQuery, scoredRows } from './execute.js';
import { instantData, lokiPattern, matrixData, seconds, stats, streamsData } from './format.js';
import {
  BadRequest,
  checkLogLimit,
  instantParams,
  parseStep,
  queryText,
  rangeParams,
  requestParams,
  windowParams,
} from './params.js';
import { readOf, streamsOf } from './streams.js';
import { LiveTail, tailParams, TooManyTails } from './tail.js';
import type { WebSocket } from 'ws';
import { upgradeWebSocket } from '@hono/node-server';
import { detectFields, lineFields } from './detected.js';
import { SERVICE_NAME_LABELS } from '../../logql/derived.js';
import { allLabels } from '../../logql/stages.js';

/** What `anomaly_severity` takes: the severities and `learning` (a stream whose model is being learned). */
const SORTED_SEVERITIES = [...SEVERITY_VALUES].sort();
/** The Loki version whose API (categorize-labels, patterns, detected_fields, volume) this emulates. */
const LOKI_VERSION = '3.4.0';

/**
 * The Loki-compatible API. Mounted at `/` (the configured default detector) and at `/detectors/:detector`, so each
 * Grafana Loki data source instance can be one detector.
 */
export function lokiRoutes(ctx: AppContext): Hono {
  const app = new Hono();
  const limits = ctx.config.server.limits;
  // Made now, not at the first query: it takes the lines a watcher in this process scores from the start.
  if (ctx.sources.file) indexFor(ctx);

  /** Runs a handler; the errors a caller can cause become Loki-style 4xx answers (and an upstream failure a 502). */
  const handle =
    (
      fn: (
        c: Context,
        params: URLSearchParams,
        detector: DetectorKind | undefined,
        deadline: Deadline,
      ) => Promise<Response>,
    ) =>
    async (c: Context) => {
      const detector = (c.req.param() as Record<string, string>).detector;
      if (detector !== undefined && !isDetectorKind(detector)) {
        return c.json({ error: `unknown detector "${detector}": use ${DETECTOR_KINDS.join(', ')}` }, 404);
      }
      const deadline = new Deadline(limits.queryTimeoutMs, c.req.raw.signal);
      try {
        return await fn(c, await requestParams(c), detector as DetectorKind | undefined, deadline);
      } catch (err) {
        if (err instanceof QueryStopped) {
          ctx.metrics.queriesStopped.inc({ reason: err.status === 499 ? 'cancelled' : 'timeout' });
          return lokiError(c, err.status as ContentfulStatusCode, err.message);
        }
        if (err instanceof UnsupportedQuery || err instanceof BadRequest) return lokiError(c, 400, err.message);
        if (err instanceof SourceError) return lokiError(c, err.status, err.message);
        if (err instanceof PipelineInputError) return lokiError(c, 400, err.message);
        if (err instanceof TooManyTails) return lokiError(c, 429, err.message);
        if (err instanceof NoModelError)
          return lokiError(
            c,
            503,
            `${err.message}: train one or route the stream to a model in anomalog.yaml (streams)`,
          );
        throw err;
      }
    };

  /** A metric query that names no anomaly field is plain Loki: forwarded as it is when Loki is the source. */
  const upstream = (q: Query) =>
    q.kind !== 'log' && !touchesAnomalyFields(q) && !ctx.sources.file ? ctx.sources.loki : undefined;

  app.on(
    ['GET', 'POST'],
    '/loki/api/v1/query_range',
    handle(async (c, params, detector, deadline) => {
      const started = performance.now();
      const p = rangeParams(params, limits);
      const q = parseQuery(p.query);
      const loki = upstream(q);
      if (loki) return c.json(await loki.get('/loki/api/v1/query_range', Object.fromEntries(params)));
      const warnings = new Set<string>();
      if (q.kind === 'log') {
        checkLogLimit(p.limit, limits);
        const { rows, scanned } = await runLogQuery(
          ctx,
          q,
          { start: p.start, end: p.end },
          { ...p, detector, warnings, deadline },
        );
        const stat = stats(scanned, bytesOf(rows), rows.length, (performance.now() - started) / 1000);
        return c.json({ status: 'success', data: streamsData(rows, categorizes(c), stat), ...warned(warnings) });
      }
      const steps: bigint[] = [];
      for (let t = p.start; t <= p.end; t += p.step) steps.push(t);
      const run = await runMetricQuery(ctx, q, steps, detector, warnings, deadline);
      const series = run.evaluate();
      return c.json({
        status: 'success',
        data: matrixData(series, stats(run.scanned, 0, series.length, (performance.now() - started) / 1000)),
        ...warned(warnings),
      });
    }),
  );

  app.on(
    ['GET', 'POST'],
    '/loki/api/v1/query',
    handle(async (c, params, detector, deadline) => {
      const started = performance.now();
      const p = instantParams(params, limits);
      const q = parseQuery(p.query);
      if (q.kind === 'log') {
        throw new BadRequest(
          'log queries are not supported as an instant query type, please change your query to a range query type',
        );
      }
      const loki = upstream(q);
      if (loki) return c.json(await loki.get('/loki/api/v1/query', Object.fromEntries(params)));
      const warnings = new Set<string>();
      const run = await runMetricQuery(ctx, q, [p.time], detector, warnings, deadline);
      const ordered = q.kind === 'aggregate' && (q.op === 'sort' || q.op === 'sort_desc');
      return c.json({
        status: 'success',
        data: instantData(
          run.at(p.time),
          p.time,
          stats(run.scanned, 0, 1, (performance.now() - started) / 1000),
          ordered,
        ),
        ...warned(warnings),
      });
    }),
  );

  /**
   * Live tail, as Loki's: a websocket (Explore's live mode) that gets the newest `limit` rows since `start`, then the
   * new rows every 500 ms, scored and with the anomaly fields as query_range writes them. Bad parameters, no model
   * for any selected stream, or `server.limits.tailConnections` open tails answer 4xx/503 before the upgrade.
   */
  app.get(
    '/loki/api/v1/tail',
    handle(async (c, params, detector) => {
      if (c.req.header('upgrade')?.toLowerCase() !== 'websocket')
        throw new BadRequest('tail is a websocket: connect with ws:// (an Upgrade: websocket request)');
      const tail = new LiveTail(ctx, tailParams(params, limits), { detector, categorize: categorizes(c) });
      try {
        const first = await tail.backlog();
        const upgrade = upgradeWebSocket(() => ({
          onOpen: (_event, ws) => tail.run(ws.raw as unknown as WebSocket, first),
          onClose: () => tail.stop(),
        }));
        const res = await upgrade(c, async () => undefined);
        if (res) return res;
      } catch (err) {
        tail.stop(); // frees its place: the backlog failed, or the upgrade did
        throw err;
      }
      tail.stop();
      return lokiError(c, 400, 'websocket upgrade failed');
    }),
  );

  /**
   * Stream label names of the streams with lines in the window (`start`/`end`, default the last hour), as Loki. The
   * anomaly fields are not listed: they are structured metadata (or, without categorize-labels, labels of each
   * line), not stream labels; `label/anomaly_severity/values` still answers for a label browser that asks.
   */
  app.get(
    '/loki/api/v1/labels',
    handle(async (c, params) => {
      const names = new Set(
        (await streamsFor(params.get('query'), windowParams(params, limits))).flatMap((l) => Object.keys(l)),
      );
      return c.json({ status: 'success', data: [...names].sort() });
    }),
  );

  app.get(
    '/loki/api/v1/label/:name/values',
    handle(async (c, params) => {
      const name = c.req.param('name') ?? '';
      if (name === 'anomaly_severity') return c.json({ status: 'success', data: SORTED_SEVERITIES });
      if (name === 'anomaly_detector') return c.json({ status: 'success', data: [...DETECTOR_KINDS] });
      const streams = await streamsFor(params.get('query'), windowParams(params, limits));
      const values = new Set(streams.filter((l) => Object.hasOwn(l, name)).map((l) => l[name]));
      return c.json({ status: 'success', data: [...values].sort() });
    }),
  );

  app.on(
    ['GET', 'POST'],
    '/loki/api/v1/series',
    handle(async (c, params) => {
      const matches = params.getAll('match[]').concat(params.getAll('match'));
      if (matches.length === 0)
        throw new BadRequest('missing match[]: pass at least one stream selector, like match[]={job="web"}');
      const found = new Map<string, Labels>();
      const window = windowParams(params, limits);
      for (const match of matches)
        for (const labels of await streamsFor(match, window)) found.set(streamKey(labels), labels);
      return c.json({ status: 'success', data: [...found.values()] });
    }),
  );

  app.get(
    '/loki/api/v1/index/stats',
    handle(async (c, params) => {
      const { start, end } = windowParams(params, limits);
      const log = parseLogQuery(queryText(params));
      const streams = new Set<string>();
      let [entries, bytes] = [0, 0];
      for await (const e of readOf(ctx, { selector: log.selector, lineFilters: log.lineFilters, start, end })) {
        streams.add(streamKey(e.labels));
        entries++;
        bytes += Buffer.byteLength(e.line);
      }
      return c.json({ streams: streams.size, chunks: streams.size, bytes, entries });
    }),
  );

  app.get(
    '/loki/api/v1/index/volume',
    handle(async (c, params) => volume(c, params, false)),
  );
  app.get(
    '/loki/api/v1/index/volume_range',
    handle(async (c, params) => volume(c, params, true)),
  );

  /** Bytes per group of streams: by `targetLabels`, else by the labels the selector names (as Loki). */
  async function volume(c: Context, params: URLSearchParams, range: boolean) {
    const { start, end } = windowParams(params, limits);
    const log = parseLogQuery(queryText(params));
    const target = (params.get('targetLabels') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const by = target.length > 0 ? target : [...new Set(log.selector.map((m) => m.name))];
    const step = range ? parseStep(params.get('step'), start, end) : end - start + 1n;
    const buckets = new Map<string, { metric: Labels; bytes: Map<bigint, number> }>();
    for await (const e of readOf(ctx, { selector: log.selector, lineFilters: log.lineFilters, start, end })) {
      const metric = Object.fromEntries(by.filter((k) => e.labels[k] !== undefined).map((k) => [k, e.labels[k]]));
      const key = streamKey(metric);
      let b = buckets.get(key);
      if (!b) buckets.set(key, (b = { metric, bytes: new Map() }));
      const t = range ? start + ((e.ts - start) / step + 1n) * step : end;
      b.bytes.set(t, (b.bytes.get(t) ?? 0) + Buffer.byteLength(e.line));
    }
    const limit = Number(params.get('limit') ?? 100) || 100;
    const all = [...buckets.values()].slice(0, limit);
    const sec = seconds;
    const result = range
      ? all.map((b) => ({
          metric: b.metric,
          values: [...b.bytes].sort(([x], [y]) => (x < y ? -1 : 1)).map(([t, v]) => [sec(t), String(v)]),
        }))
      : all.map((b) => ({
          metric: b.metric,
          value: [sec(end), String([...b.bytes.values()].reduce((x, y) => x + y, 0))],
        }));
    return c.json({ status: 'success', data: { resultType: range ? 'matrix' : 'vector', result } });
  }

  app.get(
    '/loki/api/v1/detected_labels',
    handle(async (c, params) => {
      const streams = await streamsFor(params.get('query'), windowParams(params, limits));
      const values = new Map<string, Set<string>>();
      for (const labels of streams)
        for (const [k, v] of Object.entries(labels)) (values.get(k) ?? values.set(k, new Set()).get(k)!).add(v);
      const detectedLabels = [...values]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([label, set]) => ({ label, cardinality: set.size }));
      return c.json({ detectedLabels });
    }),
  );

  app.get(
    '/loki/api/v1/detected_fields',
    handle(async (c, params, detector, deadline) => {
      const { start, end } = windowParams(params, limits);
      const log = parseLogQuery(queryText(params));
      const lineLimit = Math.min(Number(params.get('line_limit') ?? 1000) || 1000, limits.maxLines);
      const { rows } = await runLogQuery(
        ctx,
        log,
        { start, end },
        { limit: lineLimit, direction: 'backward', detector, deadline },
      );
      const fields = detectFields(rows);
      return c.json({ fields, limit: lineLimit });
    }),
  );

  /**
   * The values of one detected field over the last `line_limit` lines of `query` (Loki 3.4+
   * `/detected_field/{name}/values`, which Grafana's `fetchDetectedLabelValues` and Drilldown's
   * TagValuesProviders.ts read as `{ values: [...] }`).
   */
  app.get(
    '/loki/api/v1/detected_field/:name/values',
    handle(async (c, params, detector, deadline) => {
      const name = c.req.param('name') ?? '';
      const { start, end } = windowParams(params, limits);
      // Grafana's LanguageProvider sends `query` only when the editor has one: without it, every stream
      const log = parseLogQuery(params.get('query')?.trim() ? queryText(params) : '{service_name=~".+"}');
      const lineLimit = Math.min(
        Number(params.get('line_limit') ?? params.get('limit') ?? 1000) || 1000,
        limits.maxLines,
      );
      const { rows } = await runLogQuery(
        ctx,
        log,
        { start, end },
        { limit: lineLimit, direction: 'backward', detector, deadline },
      );
      const values = new Set<string>();
      for (const row of rows) {
        // a label of the line (stream, structured metadata, parsed by the query), else a field of its JSON / logfmt
        const value = allLabels(row)[name] ?? lineFields(row.line).get(name);
        if (value !== undefined && value !== '') values.add(value);
      }
      return c.json({ values: [...values].sort(), limit: lineLimit });
    }),
  );

  /**
   * What Logs Drilldown reads at start-up (`/loki/api/v1/drilldown-limits`, Loki 3.5 `pkg/querier/http.go`
   * DrilldownLimitsHandler): the tenant limits Drilldown uses, whether the pattern ingester is on, the version.
   */
  app.get(
    '/loki/api/v1/drilldown-limits',
    handle(async (c) =>
      c.json({
        limits: {
          discover_log_levels: true,
          discover_service_name: SERVICE_NAME_LABELS.filter((n) => n !== 'service_name'),
          log_level_fields: [
            'level',
            'LEVEL',
            'Level',
            'log.level',
            'severity',
            'SEVERITY',
            'Severity',
            'SeverityText',
            'lvl',
            'LVL',
            'Lvl',
            'severity_text',
            'Severity_Text',
            'SEVERITY_TEXT',
          ],
          max_entries_limit_per_query: limits.maxLines,
          max_line_size_truncate: false,
          max_query_length: `${limits.queryHours}h`,
          max_query_series: 500,
          metric_aggregation_enabled: false,
          pattern_persistence_enabled: false,
          query_timeout: '1m',
          volume_enabled: true,
          volume_max_series: 1000,
        },
        pattern_ingester_enabled: true,
        version: LOKI_VERSION,
      }),
    ),
  );

  app.get(
    '/loki/api/v1/patterns',
    handle(async (c, params, detector, deadline) => {
      const { start, end } = windowParams(params, limits);
      const log = parseLogQuery(queryText(params));
      const step = parseStep(params.get('step'), start, end);
      const rows = await scoredRows(ctx, log, { start, end }, detector, undefined, deadline);
      const patterns = new Map<string, Map<bigint, number>>();
      for (const row of rows) {
        const pattern = lokiPattern(row.fields.anomaly_template);
        const counts = patterns.get(pattern) ?? patterns.set(pattern, new Map()).get(pattern)!;
        const t = start + ((row.ts - start) / step) * step;
        counts.set(t, (counts.get(t) ?? 0) + 1);
      }
      const data = [...patterns]
        .map(([pattern, counts]) => ({
          pattern,
          samples: [...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([t, n]) => [Number(t / 1_000_000_000n), n]),
        }))
        .sort((a, b) => total(b.samples) - total(a.samples));
      return c.json({ status: 'success', data });
    }),
  );

  app.get(
    '/loki/api/v1/status/buildinfo',
    handle(async (c) =>
      c.json({
        version: LOKI_VERSION,
        revision: 'anomalog',
        branch: 'main',
        buildUser: 'anomalog',
        buildDate: '',
        goVersion: '',
      }),
    ),
  );

  /**
   * The streams a selector (optional) covers, with the labels Loki derives (`service_name`), in a window when given;
   * anomaly-field matchers are ignored, they are not stream labels.
   */
  async function streamsFor(selector: string | null, window?: { start: bigint; end: bigint }): Promise<Labels[]> {
    return streamsOf(ctx, selector ? parseLogQuery(selector).selector : undefined, window, async (file, w) => {
      // the scored index holds the file's lines in memory; a stream with no model to score it is read instead
      try {
        return (await indexFor(ctx).rows(file, undefined, w)).some((r) => r.ts >= w.start && r.ts < w.end);
      } catch (err) {
        if (err instanceof NoModelError) return undefined;
        throw err;
      }
    });
  }

  return app;
}

const categorizes = (c: Context) =>
  (c.req.header('X-Loki-Response-Encoding-Flags') ?? '').split(',').some((f) => f.trim() === 'categorize-labels');

/** Loki's top-level `warnings` (Grafana's parser reads them into frame notices), when there are any. */
const warned = (warnings: ReadonlySet<string>) => (warnings.size > 0 ? { warnings: [...warnings] } : {});

const bytesOf = (rows: readonly { line: string }[]) => rows.reduce((n, r) => n + Buffer.byteLength(r.line), 0);
const total = (samples: number[][]) => samples.reduce((n, [, v]) => n + v, 0);

function lokiError(c: Context, status: ContentfulStatusCode, message: string) {
  // Grafana shows `message`; `error` is the field every Anomalog API error has.
  return c.json(
    {
      status: 'error',
      errorType: status === 400 ? 'bad_data' : status === 504 ? 'timeout' : 'unavailable',
      error: message,
      message,
    },
    status,
  );
}
