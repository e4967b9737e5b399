import { DETECTED_LEVEL, SERVICE_NAME } from '@anomalog/contract';
import type { Labels } from '../stream.js';

export { DETECTED_LEVEL, SERVICE_NAME };

/**
 * The labels Loki 3 derives at ingestion, so Grafana's Logs Drilldown finds services and levels.
 *
 * `service_name`: a stream's own `service_name`, else the first of Loki's `discover_service_name` default list
 * (Loki 3.x `pkg/validation/limits.go`, as `drilldown-limits` reports it) that is set, else `unknown_service`.
 */
export const SERVICE_NAME_LABELS = [
  'service_name',
  'service',
  'app',
  'application',
  'app_name',
  'name',
  'app_kubernetes_io_name',
  'container',
  'container_name',
  'k8s_container_name',
  'component',
  'workload',
  'job',
  'k8s_job_name',
] as const;

export const UNKNOWN_SERVICE = 'unknown_service';
/** The labels Anomalog adds to stream labels (Loki adds them at ingestion, so selectors may name them). */
export const DERIVED_STREAM_LABELS: ReadonlySet<string> = new Set([SERVICE_NAME]);

export function serviceName(labels: Labels): string {
  for (const name of SERVICE_NAME_LABELS) {
    const v = labels[name];
    if (v !== undefined && v !== '') return v;
  }
  return UNKNOWN_SERVICE;
}

/** A stream's labels with `service_name` added as Loki adds it (the same object when it is already there). */
export function withServiceName(labels: Labels): Labels {
  return labels[SERVICE_NAME] !== undefined ? labels : { ...labels, [SERVICE_NAME]: serviceName(labels) };
}

/**
 * Loki's `detected_level` values (`pkg/distributor/field_detection.go`, 3.x): trace, debug, info, warn, error,
 * critical, fatal, unknown. Anomalog's parsed levels (debug, info, warn, error, fatal) map to themselves.
 */
export function detectedLevel(level: string | undefined): string {
  return level ?? 'unknown';
}
