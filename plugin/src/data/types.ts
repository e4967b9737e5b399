export type Severity = 'normal' | 'low' | 'medium' | 'high' | 'critical';

/** Every severity, lowest first. */
export const SEVERITIES: readonly Severity[] = ['normal', 'low', 'medium', 'high', 'critical'];

/** Severities that count as anomalies, lowest first. */
export const ANOMALY_SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

export type SeverityCounts = Record<Severity, number>;

/** Score at which each anomaly severity starts (the backend's calibrated thresholds). */
export type Thresholds = Record<Exclude<Severity, 'normal'>, number>;

export const DEFAULT_THRESHOLDS: Thresholds = { low: 0.45, medium: 0.65, high: 0.85, critical: 0.95 };

/** One scored log line, whatever frame or API it came from. */
export interface AnomalyRow {
  /** Milliseconds since the epoch. */
  time: number;
  /** The stream's labels without the anomaly fields, rendered as a selector: `{job="web"}`. */
  stream: string;
  score: number;
  severity: Severity;
  reason: string;
  template: string;
  line: string;
}

/** Which fields (labels, structured metadata or frame fields) hold the anomaly data. */
export interface FieldNames {
  score: string;
  severity: string;
  reason: string;
  template: string;
}

export const DEFAULT_FIELD_NAMES: FieldNames = {
  score: 'anomaly_score',
  severity: 'anomaly_severity',
  reason: 'anomaly_reason',
  template: 'anomaly_template',
};

/** Line counts: what the totals and the distribution bars show. */
export interface Totals {
  lines: number;
  anomalies: number;
  bySeverity: SeverityCounts;
}

/** Everything the view draws, derived once from the input. */
export interface AnomalyData {
  /** Scored lines, oldest first. */
  rows: AnomalyRow[];
  totals: Totals;
}
