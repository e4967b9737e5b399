import { severityRank, type Severity } from '@anomalog/contract';

import type { SeverityCounts } from './types';


export function atLeast(severity: Severity, minimum: Severity): boolean {
  return severityRank(severity) >= severityRank(minimum);
}

export function emptyCounts(): SeverityCounts {
  return { normal: 0, low: 0, medium: 0, high: 0, critical: 0 };
}
