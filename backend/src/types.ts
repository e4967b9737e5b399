export type Severity = 'normal' | 'low' | 'medium' | 'high' | 'critical';

/** Severities that count as anomalies, lowest first. */
export const ANOMALY_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;

export type DetectorKind = 'iforest' | 'autoencoder' | 'ensemble';

export type FormatName =
  | 'apache'
  | 'nginx'
  | 'hdfs'
  | 'syslog'
  | 'json'
  | 'logfmt'
  | 'csv'
  | 'custom'
  | 'log4j'
  | 'openstack'
  | 'windows-cbs'
  | 'apache-error'
  | 'pipe'
  | 'proxifier'
  | 'logcat'
  | 'timestamped'
  | 'generic';

/** One raw line after parsing. `ts` is milliseconds since the epoch when the line carries a timestamp. */
export interface ParsedLine {
  ts?: number;
  level?: string;
  /** Named fields the format provides (web: ip, method, path, status, bytes, ua, ...). */
  fields: Record<string, string>;
  /** Numeric columns that become features directly (CSV, JSON numbers). */
  numeric?: Record<string, number>;
  /** The free-text part Drain mines templates from. */
  message: string;
  raw: string;
  format: FormatName;
  /** True when the line is a CSV header or similar, not data. */
  header?: boolean;
}

/** The scored line: one shape everywhere (ARCHITECTURE.md). `ts` is milliseconds. */
export interface ScoredLine {
  ts: number;
  line: string;
  labels: Record<string, string>;
  template: string;
  score: number;
  severity: Severity;
  anomaly: boolean;
  reasons: string[];
  detector: string;
  session?: string;
}

/** A dense row-major matrix of feature rows. */
export interface Matrix {
  data: Float64Array;
  rows: number;
  cols: number;
}
