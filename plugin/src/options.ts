import { DEFAULT_FIELD_NAMES, DEFAULT_THRESHOLDS } from './data/types';
import type { PanelOptions } from './types';

export const DEFAULT_OPTIONS: PanelOptions = {
  showChart: true,
  showDistribution: true,
  showTotals: true,
  showTable: true,
  showFilters: true,
  minSeverity: 'low',
  colors: { normal: 'green', low: 'blue', medium: 'yellow', high: 'orange', critical: 'red' },
  fields: DEFAULT_FIELD_NAMES,
  thresholds: DEFAULT_THRESHOLDS,
};
