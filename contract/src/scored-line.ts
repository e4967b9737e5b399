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
}
