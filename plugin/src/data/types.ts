import { ANOMALY_FIELDS, DEFAULT_THRESHOLDS as DETECTOR_THRESHOLDS, type Severity, type SeverityCounts, type Thresholds } from '@anomalog/contract';

export { ANOMALY_SEVERITIES, SEVERITIES, type Severity, type SeverityCounts, type Thresholds } from '@anomalog/contract';

/** Score at which each anomaly severity starts: the default detector's (the ensemble). */
export const DEFAULT_THRESHOLDS: Thresholds = DETECTOR_THRESHOLDS.ensemble;

/** One scored log line, whatever frame or API it came from. */
export interface AnomalyRow {
  /** Milliseconds since the epoch. */
  time: number;
  /** The stream's labels without the anomaly fields, rendered as a selector: `{job="web"}`. */
  stream: string;
  /** The same labels as an object, when the input had them: what feedback names the stream by. */
  labels?: Record<string, string>;
  score: number;
  severity: Severity;
  reason: string;
  template: string;
  line: string;
  /** The burst the line belongs to (`anomaly_burst`): the same id on every line of one burst. */
  burst?: string;
  /** On the row that stands for a burst in the list (oneRowPerBurst): how many of the rows are its lines. */
  burstLines?: number;
}

/** Which fields (labels, structured metadata or frame fields) hold the anomaly data. */
export interface FieldNames {
  score: string;
  severity: string;
  reason: string;
  template: string;
}

export const DEFAULT_FIELD_NAMES: FieldNames = {
  score: ANOMALY_FIELDS.score,
  severity: ANOMALY_FIELDS.severity,
  reason: ANOMALY_FIELDS.reason,
  template: ANOMALY_FIELDS.template,
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
