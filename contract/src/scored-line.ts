import type { Severity } from './severity.js';

/** The scored line: one shape everywhere (docs/ARCHITECTURE.md). `ts` is milliseconds. */
export interface ScoredLine {
  ts: number;
  line: string;
  labels: Record<string, string>;
  template: string;
  /** Calibrated: 0 is normal, 1 the most anomalous. */
  score: number;
  severity: Severity;
  anomaly: boolean;
  /** Most important first; never empty when `anomaly` is true. */
  reasons: string[];
  detector: string;
  /** The session key when the line was scored as part of a session (an HDFS block id, a request id). */
  session?: string;
  /**
   * The burst the line belongs to when its template ran far above its usual rate (its template and first minute,
   * e.g. "12@2024-03-01T10:40Z"): every line of one burst has the same id, so a list can show the burst as one event.
   */
  burst?: string;
  /**
   * The line's level as the scorer's parser read it (its level field or word; a web request's from its status),
   * undefined when it has none, and the format it read the line as (the model's, or `generic` for a line that format
   * does not read): what the Loki API shows as `detected_level` and `level` without parsing the line again.
   */
  level?: string;
  format?: string;
}
