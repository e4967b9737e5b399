/** Every severity, lowest first: a severity's index is its rank. */
export const SEVERITIES = ['normal', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * The `anomaly_severity` of a line whose stream has no model yet: its own model is being learned (per-stream
 * learning's warm-up). Not a Severity: such a line has no score, no rank and is no anomaly.
 */
export const LEARNING = 'learning';

/** Every value `anomaly_severity` takes on the Loki API: the severities, then `learning`. */
export const SEVERITY_VALUES = [...SEVERITIES, LEARNING] as const;

/** Severities that count as anomalies, lowest first. */
export const ANOMALY_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type AnomalySeverity = (typeof ANOMALY_SEVERITIES)[number];

/** Score at which each anomaly severity starts. */
export type Thresholds = Record<AnomalySeverity, number>;

/** A count per severity. */
export type SeverityCounts = Record<Severity, number>;

export function emptySeverityCounts(): SeverityCounts {
  return { normal: 0, low: 0, medium: 0, high: 0, critical: 0 };
}

export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}

/** 0 for normal up to 4 for critical. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** The severity a calibrated score falls into. */
export function severityOf(score: number, t: Thresholds): Severity {
  if (score >= t.critical) return 'critical';
  if (score >= t.high) return 'high';
  if (score >= t.medium) return 'medium';
  if (score >= t.low) return 'low';
  return 'normal';
}

/** Grafana colour names of the severities, the panel's defaults. */
export const SEVERITY_COLORS: Record<Severity, string> = {
  normal: 'green',
  low: 'blue',
  medium: 'yellow',
  high: 'orange',
  critical: 'red',
};
