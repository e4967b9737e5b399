import { severityRank, type Severity } from '@anomalog/contract';

export function atLeast(severity: Severity, minimum: Severity): boolean {
  return severityRank(severity) >= severityRank(minimum);
}
