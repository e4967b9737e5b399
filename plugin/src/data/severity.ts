import { SEVERITIES, type Severity, type SeverityCounts, type Thresholds } from './types';

export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}

/** 0 for normal up to 4 for critical. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export function atLeast(severity: Severity, minimum: Severity): boolean {
  return severityRank(severity) >= severityRank(minimum);
}

export function emptyCounts(): SeverityCounts {
  return { normal: 0, low: 0, medium: 0, high: 0, critical: 0 };
}

/** The severity a score falls into; used when a frame carries a score but no severity. */
export function severityOfScore(score: number, thresholds: Thresholds): Severity {
  if (score >= thresholds.critical) {
    return 'critical';
  }
  if (score >= thresholds.high) {
    return 'high';
  }
  if (score >= thresholds.medium) {
    return 'medium';
  }
  if (score >= thresholds.low) {
    return 'low';
  }
  return 'normal';
}
