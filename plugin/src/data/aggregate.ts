import { emptySeverityCounts } from '@anomalog/contract';

import { atLeast } from './severity';
import type { AnomalyRow, Severity, Totals } from './types';

export function totalsFromRows(rows: readonly AnomalyRow[]): Totals {
  const bySeverity = emptySeverityCounts();
  for (const row of rows) {
    bySeverity[row.severity]++;
  }
  return { lines: rows.length, anomalies: rows.length - bySeverity.normal, bySeverity };
}

export function anomalyPercent(totals: Totals): number {
  return totals.lines === 0 ? 0 : (100 * totals.anomalies) / totals.lines;
}

/** Rows at or above `minimum`, newest first: the order the table lists them in. */
export function anomaliesAtLeast(rows: readonly AnomalyRow[], minimum: Severity): AnomalyRow[] {
  const out: AnomalyRow[] = [];
  for (let i = rows.length - 1; i >= 0; i--) {
    if (atLeast(rows[i].severity, minimum)) {
      out.push(rows[i]);
    }
  }
  return out;
}

/** The rows whose severity is switched on in the filter buttons. */
export function withSeverities(rows: readonly AnomalyRow[], shown: ReadonlySet<Severity>): AnomalyRow[] {
  return rows.filter((row) => shown.has(row.severity));
}
