import { describe, expect, it } from 'vitest';
import type { ScoredLine } from '../types.js';
import { Summary } from '../pipeline/index.js';
import { JsonLines, renderSummary } from './output.js';

const line = (over: Partial<ScoredLine>): ScoredLine => ({
  ts: 0,
  line: 'x',
  labels: {},
  template: 'GET /',
  score: 0,
  severity: 'normal',
  anomaly: false,
  reasons: [],
  detector: 'm/iforest@0',
  ...over,
});

describe('--json lines', () => {
  it('are exactly what JSON.stringify gives for the contract object', () => {
    const json = new JsonLines();
    for (const s of [
      line({}),
      line({
        score: 0.912345678,
        severity: 'critical',
        anomaly: true,
        reasons: ['SQL injection pattern: "UNION" \\ SELECT', 'é\u0001'],
        template: 'GET /a"b\\c\n',
      }),
    ]) {
      const expected = JSON.stringify({
        line: 7,
        score: Math.round(s.score * 10000) / 10000,
        severity: s.severity,
        anomaly: s.anomaly,
        reasons: s.reasons,
        template: s.template,
      });
      expect(json.format(7, s)).toBe(expected);
      expect(json.format(7, s)).toBe(expected);
    }
  });

  it('write every score as JSON.stringify does', () => {
    const json = new JsonLines();
    for (let i = 0; i <= 20_000; i++) {
      const score = i / 20_000 + (i % 7) * 1e-9;
      const parsed = JSON.parse(json.format(1, line({ score })));
      expect(parsed.score).toBe(Math.round(score * 10000) / 10000);
    }
  });
});

describe('summary', () => {
  it('counts severities and lists the strongest anomalies, earliest first among equals', () => {
    const summary = new Summary();
    summary.add(line({}), 1);
    summary.add(line({ score: 0.7, severity: 'medium', anomaly: true, reasons: ['HTTP 503'] }), 2);
    summary.add(line({ score: 0.96, severity: 'critical', anomaly: true, reasons: ['XSS pattern: <script>'] }), 3);
    summary.add(line({ score: 0.7, severity: 'medium', anomaly: true }), 4);
    const text = renderSummary(summary, 'scan', false);
    expect(text).toContain('lines: 4   anomalies: 3 (critical 1, high 0, medium 2, low 0)');
    const order = [...text.matchAll(/^line (\d+)/gm)].map((m) => Number(m[1]));
    expect(order).toEqual([3, 2, 4]);
    expect(text).toContain('- XSS pattern: <script>');
  });
});

describe('summary of a burst', () => {
  it('lists a burst once, by its earliest strongest line, whichever part saw it first', () => {
    const reasons = [
      'burst: 120 lines of this template in the minute from 2024-03-01 10:40 (usually at most 1 a minute when it appears)',
    ];
    const burst = { score: 0.5, severity: 'low', anomaly: true, reasons, burst: '3@2024-03-01T10:40Z' } as const;
    const a = new Summary();
    const b = new Summary();
    for (let i = 0; i < 60; i++) a.add(line(burst), 100 + i);
    for (let i = 0; i < 60; i++) b.add(line(burst), 40 + i);
    b.add(
      line({
        score: 0.6,
        severity: 'low',
        anomaly: true,
        reasons: ['rare template: seen 1 time in 2,000 training lines'],
      }),
      7,
    );
    a.merge(b);
    const text = renderSummary(a, 'scan', false);
    expect(text).toContain('anomalies: 121');
    expect([...text.matchAll(/^line (\d+)/gm)].map((m) => Number(m[1]))).toEqual([7, 40]);
  });
});
