import { withCommas } from '@anomalog/cli-kit';
import pc from 'picocolors';
import type { Summary } from '../pipeline/index.js';
import { ANOMALY_SEVERITIES, type ScoredLine, type Severity } from '../types.js';
import { severityPaint } from '../watch/sinks.js';

/** The text of every score in [0, 1] at 4 decimals (number-to-text per line is a measurable share of a scan). */
const SCORE_TEXT = Array.from({ length: 10_001 }, (_, k) => String(k / 10000));

/**
 * The `--json` contract: one object per input line, these keys in this order (`burst` only on a burst's lines). Built by hand (the same text
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
    const burst = s.burst === undefined ? '' : `,"burst":${JSON.stringify(s.burst)}`;
    return `{"line":${lineNo},"score":${score},"severity":"${s.severity}","anomaly":${s.anomaly},"reasons":${reasons},"template":${template}${burst}}`;
  }
}

/** The CLI's summary: counts by severity, then the top anomalies with their reasons. */
export function renderSummary(summary: Summary, title: string, color: boolean): string {
  const c = pc.createColors(color);
  const paint = severityPaint(c);
  const counts = [...ANOMALY_SEVERITIES]
    .reverse()
    .map((sev) => paint[sev](`${sev} ${withCommas(summary.bySeverity[sev])}`))
    .join(', ');
  const out = [
    c.bold(title),
    `lines: ${withCommas(summary.lines)}   anomalies: ${withCommas(summary.anomalies)} (${counts})`,
  ];
  if (summary.top.length) {
    out.push('', c.bold(`top ${summary.top.length} anomalies:`));
    for (const { lineNo, line } of summary.top) {
      const sev = paint[line.severity](line.severity.padEnd(8));
      out.push(`${c.dim(`line ${lineNo}`.padEnd(12))} ${sev} ${line.score.toFixed(3)}  ${clip(line.line, 110)}`);
      for (const r of line.reasons.slice(0, 4)) out.push(`${' '.repeat(13)}- ${r}`);
    }
  }
  return `${out.join('\n')}\n`;
}

function clip(text: string, n: number): string {
  const flat = text.replace(/[\x00-\x1f\x7f]/g, ' ');
  return flat.length > n ? `${flat.slice(0, n - 1)}…` : flat;
}
