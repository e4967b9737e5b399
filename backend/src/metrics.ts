import { createHash } from 'node:crypto';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** At most this many distinct values of a label whose values come from outside (stream label sets). */
export const MAX_LABEL_VALUES = 200;
/** A longer label value is replaced by a short hash of it. */
export const MAX_LABEL_CHARS = 200;

/**
 * Keeps a label fed by values from outside bounded: a value longer than MAX_LABEL_CHARS becomes `sha256:<12 hex>`,
 * and once MAX_LABEL_VALUES distinct values were seen every new one is counted as `other`. So no client, however many
 * label sets it sends, can grow /metrics or the memory behind it.
 */
export class BoundedLabel {
  private readonly seen = new Set<string>();
  constructor(private readonly max = MAX_LABEL_VALUES) {}

  value(raw: string): string {
    const v =
      raw.length > MAX_LABEL_CHARS ? `sha256:${createHash('sha256').update(raw).digest('hex').slice(0, 12)}` : raw;
    if (this.seen.has(v)) return v;
    if (this.seen.size >= this.max) return 'other';
    this.seen.add(v);
    return v;
  }
}

/** Prometheus metrics of one app instance; each app gets its own registry so tests stay isolated. */
export interface Metrics {
  registry: Registry;
  linesScored: Counter<'stream' | 'detector' | 'severity'>;
  scoreSeconds: Histogram<'detector'>;
  sourceErrors: Counter<'source'>;
  watcherLag: Gauge<'stream'>;
  alertsReceived: Counter<'status'>;
  queriesStopped: Counter<'reason'>;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpSeconds: Histogram<'method' | 'route'>;
  /** The bounded values of the `stream` label of linesScored and watcherLag. */
  streamLabel: BoundedLabel;
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'anomalog_' });
  const registers = [registry];
  return {
    registry,
    streamLabel: new BoundedLabel(),
    linesScored: new Counter({
      name: 'anomalog_lines_scored_total',
      help: `Lines scored, by stream (the first ${MAX_LABEL_VALUES} label sets, then "other"), detector and severity`,
      labelNames: ['stream', 'detector', 'severity'],
      registers,
    }),
    scoreSeconds: new Histogram({
      name: 'anomalog_score_seconds',
      help: 'Time to score one line or one batch of lines (one observation per call)',
      labelNames: ['detector'],
      buckets: [1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 5e-3, 0.01, 0.05, 0.1, 0.5],
      registers,
    }),
    sourceErrors: new Counter({
      name: 'anomalog_source_errors_total',
      help: 'Errors reading from a source',
      labelNames: ['source'],
      registers,
    }),
    watcherLag: new Gauge({
      name: 'anomalog_watcher_lag_seconds',
      help: 'Age of the newest line the watcher has scored, per stream',
      labelNames: ['stream'],
      registers,
    }),
    alertsReceived: new Counter({
      name: 'anomalog_alerts_received_total',
      help: 'Grafana alert notifications received on /api/v1/alerts',
      labelNames: ['status'],
      registers,
    }),
    queriesStopped: new Counter({
      name: 'anomalog_queries_stopped_total',
      help: 'Loki API queries stopped before their end: cancelled (the client closed the connection) or timeout',
      labelNames: ['reason'],
      registers,
    }),
    httpRequests: new Counter({
      name: 'anomalog_http_requests_total',
      help: 'HTTP requests served',
      labelNames: ['method', 'route', 'status'],
      registers,
    }),
    httpSeconds: new Histogram({
      name: 'anomalog_http_request_seconds',
      help: 'HTTP request duration',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
  };
}
