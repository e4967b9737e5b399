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

/** Labels Loki 3 derives for a stream: the service it belongs to, and the level detected in a line. */
export const SERVICE_NAME = 'service_name';
export const DETECTED_LEVEL = 'detected_level';

/** A label the Loki API derives or adds (Loki 3's two, the anomaly fields), not one the stream was sent with. */
export const isDerivedLabel = (name: string): boolean =>
  name === SERVICE_NAME || name === DETECTED_LEVEL || name.startsWith('anomaly_');

/** The longest line feedback and a format sample carry (the backend refuses longer ones). */
export const MAX_LINE_CHARS = 65_536;

/** The first lines of a file an upload's format is told from (`POST /uploads/fit` takes at most this many). */
export const FORMAT_SAMPLE_LINES = 200;
