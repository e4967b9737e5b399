export { ANOMALY_SEVERITIES, SEVERITIES, type DetectorKind, type ScoredLine, type Severity } from '@anomalog/contract';

/** The access-log formats: their lines carry the web fields (docs/formats.md) and are scored as web traffic. */
const WEB = ['apache', 'nginx', 'w3c', 'json-access', 'logfmt-access', 'access', 'zeek-http'] as const;

/** Every log format the parsers read; `custom` is a named-group regex from the user, `generic` the fallback. */
export const FORMAT_NAMES = [
  ...WEB,
  'apache-error',
  'hdfs',
  'syslog',
  'log4j',
  'openstack',
  'windows-cbs',
  'windows-xml',
  'pipe',
  'proxifier',
  'logcat',
  'klog',
  'zeek',
  'timestamped',
  'json',
  'logfmt',
  'columns',
  'csv',
  'custom',
  'generic',
] as const;
export type FormatName = (typeof FORMAT_NAMES)[number];
export const WEB_FORMATS: readonly FormatName[] = WEB;

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
  /** The line as read, without its line break and terminal colour codes (parsing/text.ts, withoutAnsi). */
  raw: string;
  format: FormatName;
  /** True when the line is a CSV header or similar, not data (a blank line too). */
  header?: boolean;
  /** With `header`: a line of a record read at another of its lines (a CSV cell with line breaks). */
  continued?: boolean;
}

/** A dense row-major matrix of feature rows. */
export interface Matrix {
  data: Float64Array;
  rows: number;
  cols: number;
}
