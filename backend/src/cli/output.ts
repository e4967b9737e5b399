import { withCommas } from '@anomalog/cli-kit';
import pc from 'picocolors';
import { ANOMALY_SEVERITIES, type ScoredLine, type Severity } from '../types.js';

/** The text of every score in [0, 1] at 4 decimals (number-to-text per line is a measurable share of a scan). */
const SCORE_TEXT = Array.from({ length: 10_001 }, (_, k) => String(k / 10000));

/**
 * The `--json` contract: one object per input line, these keys in this order. Built by hand (the same text
 * JSON.stringify gives) with the quoted templates cached, since templates repeat from line to line.
 */
export class JsonLines {
  private readonly quoted = new Map<string, string>();

  format(lineNo: number, s: ScoredLine): string {
    let template = this.quoted.get(s.template);
    if (template === undefined) {
      template = JSON.stringify(s.template);
      if (this.quoted.size > 50_000) this.quoted.clear();
      this.quoted.set(s.template, template);
    }
    const reasons = s.reasons.length ? JSON.stringify(s.reasons) : '[]';
    const score = SCORE_TEXT[Math.round(s.score * 10000)] ?? String(Math.round(s.score * 10000) / 10000);
    return `{"line":${lineNo},"score":${score},"severity":"${s.severity}","anomaly":${s.anomaly},"reasons":${reasons},"template":${template}}`;
  }
}

interface Top {
  lineNo: number;
  line: ScoredLine;
}

/** What a Summary holds, as plain data (it crosses from scan workers to the main thread). */
export interface SummaryState {
  lines: number;
  bySeverity: Record<Severity, number>;
  top: Top[];
}

const TOP = 10;

/** Counts by severity and keeps the strongest anomalies (earliest first among equal scores). */
export class Summary implements SummaryState {
  lines = 0;
  readonly bySeverity: Record<Severity, number> = { normal: 0, low: 0, medium: 0, high: 0, critical: 0 };
  readonly top: Top[] = [];

  add(lineNo: number, s: ScoredLine): void {
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
    // A burst is one event: its lines share the burst's reason, and the list shows one of them.
    const burst = s.reasons.find((r) => r.startsWith('burst: '));
    const same = burst === undefined ? -1 : this.top.findIndex((t) => t.line.reasons.includes(burst));
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

  render(title: string, color: boolean): string {
    const c = pc.createColors(color);
    const paint: Record<Severity, (s: string) => string> = {
      normal: c.dim,
      low: c.cyan,
      medium: c.yellow,
      high: c.red,
      critical: (s) => c.bold(c.red(s)),
    };
    const counts = [...ANOMALY_SEVERITIES]
      .reverse()
      .map((sev) => paint[sev](`${sev} ${withCommas(this.bySeverity[sev])}`))
      .join(', ');
    const out = [
      c.bold(title),
      `lines: ${withCommas(this.lines)}   anomalies: ${withCommas(this.anomalies)} (${counts})`,
    ];
    if (this.top.length) {
      out.push('', c.bold(`top ${this.top.length} anomalies:`));
      for (const { lineNo, line } of this.top) {
        const sev = paint[line.severity](line.severity.padEnd(8));
        out.push(`${c.dim(`line ${lineNo}`.padEnd(12))} ${sev} ${line.score.toFixed(3)}  ${clip(line.line, 110)}`);
        for (const r of line.reasons.slice(0, 4)) out.push(`${' '.repeat(13)}- ${r}`);
      }
    }
    return `${out.join('\n')}\n`;
  }
}

function clip(text: string, n: number): string {
  const flat = text.replace(/[\x00-\x1f\x7f]/g, ' ');
  return flat.length > n ? `${flat.slice(0, n - 1)}…` : flat;
}
