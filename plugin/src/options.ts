import { SEVERITY_COLORS } from '@anomalog/contract';

import { DEFAULT_FIELD_NAMES, DEFAULT_THRESHOLDS } from './data/types';
import type { PanelOptions } from './types';

export const DEFAULT_OPTIONS: PanelOptions = {
  showChart: true,
  showDistribution: true,
  showTotals: true,
  showTable: true,
  showFilters: true,
  minSeverity: 'low',
  colors: SEVERITY_COLORS,
  fields: DEFAULT_FIELD_NAMES,
  thresholds: DEFAULT_THRESHOLDS,
};
