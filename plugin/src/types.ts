import type { FieldNames, Severity, Thresholds } from './data/types';

/** The panel's options; the standalone page renders the same view with the defaults. */
export interface PanelOptions {
  showChart: boolean;
  showDistribution: boolean;
  showTotals: boolean;
  showTable: boolean;
  showFilters: boolean;
  /** Rows below this severity are neither plotted nor listed. */
  minSeverity: Severity;
  /** Grafana colour names (or CSS colours) per severity. */
  colors: Record<Severity, string>;
  fields: FieldNames;
  thresholds: Thresholds;
}
