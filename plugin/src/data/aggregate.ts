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

/**
 * One row per burst: the rows sharing a burst id become the burst's earliest line, with `burstLines` counting them,
 * where that line stands in `rows`; other rows stay as they are.
 */
export function oneRowPerBurst(rows: readonly AnomalyRow[]): AnomalyRow[] {
  const first = new Map<string, { row: AnomalyRow; lines: number }>();
  for (const row of rows) {
    if (row.burst === undefined) {
      continue;
    }
    const seen = first.get(row.burst);
    if (!seen) {
      first.set(row.burst, { row, lines: 1 });
    } else {
      seen.lines++;
      if (row.time < seen.row.time) {
        seen.row = row;
      }
    }
  }
  if (first.size === 0) {
    return [...rows];
  }
  const out: AnomalyRow[] = [];
  for (const row of rows) {
    const burst = row.burst === undefined ? undefined : first.get(row.burst);
    if (!burst) {
      out.push(row);
    } else if (burst.row === row) {
      out.push({ ...row, burstLines: burst.lines });
    }
  }
  return out;
}

/** The rows whose severity is switched on in the filter buttons. */
export function withSeverities(rows: readonly AnomalyRow[], shown: ReadonlySet<Severity>): AnomalyRow[] {
  return rows.filter((row) => shown.has(row.severity));
}
