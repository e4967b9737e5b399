import pc from 'picocolors';
import { ANOMALY_SEVERITIES, type ScoredLine, type Severity } from '../types.js';

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
    const score = Math.round(s.score * 10000) / 10000;
    return `{"line":${lineNo},"score":${score},"severity":"${s.severity}","anomaly":${s.anomaly},"reasons":${reasons},"template":${template}}`;
  }
}

interface Top {
  lineNo: number;
  line: ScoredLine;
}

const TOP = 10;

/** Counts by severity and keeps the strongest anomalies (earliest first among equal scores). */
export class Summary {
  lines = 0;
  readonly bySeverity: Record<Severity, number> = { normal: 0, low: 0, medium: 0, high: 0, critical: 0 };
  private readonly top: Top[] = [];

  add(lineNo: number, s: ScoredLine): void {
    this.lines++;
    this.bySeverity[s.severity]++;
    if (!s.anomaly) return;
    if (this.top.length === TOP && s.score <= this.top[TOP - 1].line.score) return;
    const at = this.top.findIndex((t) => s.score > t.line.score);
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
      .map((sev) => paint[sev](`${sev} ${this.bySeverity[sev].toLocaleString('en-US')}`))
      .join(', ');
    const out = [
      c.bold(title),
      `lines: ${this.lines.toLocaleString('en-US')}   anomalies: ${this.anomalies.toLocaleString('en-US')} (${counts})`,
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
