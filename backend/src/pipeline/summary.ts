import { emptySeverityCounts, type SeverityCounts } from '@anomalog/contract';
import type { ScoredLine, Severity } from '../types.js';

export interface Top {
  lineNo: number;
  line: ScoredLine;
}

/** What a Summary holds, as plain data (it crosses from scan workers to the main thread). */
export interface SummaryState {
  lines: number;
  bySeverity: SeverityCounts;
  top: Top[];
}

const TOP = 10;

/**
 * Counts by severity and keeps the strongest anomalies (earliest first among equal scores): the summary of a scan,
 * an upload or an analyze request.
 */
export class Summary implements SummaryState {
  lines = 0;
  readonly bySeverity: SeverityCounts = emptySeverityCounts();
  readonly top: Top[] = [];

  /** `lineNo` orders equal scores (earliest first); by default the count of lines added so far. */
  add(s: ScoredLine, lineNo = this.lines + 1): void {
    this.lines++;
    this.bySeverity[s.severity]++;
    if (s.anomaly) this.offer(lineNo, s);
  }

  /** Adds the counts and anomalies of another part of the same input. */
  merge(other: SummaryState): void {
    this.lines += other.lines;
    for (const sev of Object.keys(this.bySeverity) as Severity[]) this.bySeverity[sev] += other.bySeverity[sev];
    for (const t of other.top) this.offer(t.lineNo, t.line);
  }

  private offer(lineNo: number, s: ScoredLine): void {
    const ahead = (t: Top) => s.score > t.line.score || (s.score === t.line.score && lineNo < t.lineNo);
    // A burst is one event: its lines share the burst's id, and the list shows one of them.
    const same = s.burst === undefined ? -1 : this.top.findIndex((t) => t.line.burst === s.burst);
    if (same >= 0) {
      if (!ahead(this.top[same])) return;
      this.top.splice(same, 1);
    }
    if (this.top.length === TOP && !ahead(this.top[TOP - 1])) return;
    const at = this.top.findIndex(ahead);
    this.top.splice(at < 0 ? this.top.length : at, 0, { lineNo, line: s });
    if (this.top.length > TOP) this.top.pop();
  }

  get anomalies(): number {
    return this.lines - this.bySeverity.normal;
  }

  counts(): { lines: number; anomalies: number; bySeverity: SeverityCounts } {
    return { lines: this.lines, anomalies: this.anomalies, bySeverity: this.bySeverity };
  }

  /** The counts and the top anomalies as scored lines (the REST API's `summary`). */
  toJSON(): { lines: number; anomalies: number; bySeverity: SeverityCounts; top: ScoredLine[] } {
    return { ...this.counts(), top: this.top.map((t) => t.line) };
  }
}
