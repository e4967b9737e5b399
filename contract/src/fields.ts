/**
 * The names under which a scored line's anomaly data travels on the Loki API: structured metadata with
 * `categorize-labels`, labels otherwise. The panel reads them; LogQL label filters accept them.
 */
export const ANOMALY_FIELDS = {
  score: 'anomaly_score',
  severity: 'anomaly_severity',
  reason: 'anomaly_reason',
  template: 'anomaly_template',
  detector: 'anomaly_detector',
  /** Only on the lines of a burst: its id, the same on every line of it (ScoredLine.burst). */
  burst: 'anomaly_burst',
} as const;

export type AnomalyField = (typeof ANOMALY_FIELDS)[keyof typeof ANOMALY_FIELDS];

/** Every anomaly field name, in the order they are written. */
export const ANOMALY_FIELD_NAMES: readonly AnomalyField[] = Object.values(ANOMALY_FIELDS);
