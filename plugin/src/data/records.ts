import { renderSelector } from './frames';
import { isSeverity } from '@anomalog/contract';
import type { AnomalyRow } from './types';

/** A scored line as the backend's REST API returns it (ScoredLine, `ts` in milliseconds). */
export interface ScoredRecord {
  ts: number;
  line: string;
  labels: Record<string, string>;
  template: string;
  score: number;
  severity: string;
  reasons: string[];
  detector?: string;
  burst?: string;
}

export function rowFromRecord(record: ScoredRecord): AnomalyRow {
  return {
    time: Number(record.ts),
    stream: renderSelector(record.labels ?? {}),
    labels: record.labels ?? {},
    score: Number(record.score),
    severity: isSeverity(record.severity) ? record.severity : 'normal',
    reason: (record.reasons ?? []).join('; '),
    template: record.template ?? '',
    line: record.line ?? '',
    ...(record.burst ? { burst: record.burst } : {}),
  };
}
