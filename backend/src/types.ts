export { ANOMALY_SEVERITIES, SEVERITIES, type DetectorKind, type ScoredLine, type Severity } from '@anomalog/contract';

export type FormatName =
  | 'apache'
  | 'nginx'
  | 'hdfs'
  | 'syslog'
  | 'json'
  | 'logfmt'
  | 'csv'
  | 'custom'
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

/** A dense row-major matrix of feature rows. */
export interface Matrix {
  data: Float64Array;
  rows: number;
  cols: number;
}
