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

/** The line as JsonLines writes it (without its newline). */
function format(json: JsonLines, lineNo: number, s: ScoredLine): string {
  json.clear();
  json.add(lineNo, s);
  const text = Buffer.from(json.bytes()).toString();
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1);
}

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
      expect(format(json, 7, s)).toBe(expected);
      expect(format(json, 7, s)).toBe(expected);
    }
  });

  it('append line after line, past the buffer they start with, as JSON.stringify gives them', () => {
    const json = new JsonLines();
    const expected: string[] = [];
    for (let i = 0; i < 12_000; i++) {
      const lineNo = [0, 9, 10, 99, 100, 123_456_789, 2 ** 31 - 1][i % 7] + i;
      const s = line({
        score: (i % 101) / 100,
        severity: i % 5 === 0 ? 'high' : 'normal',
        anomaly: i % 5 === 0,
        reasons: i % 5 === 0 ? [`reason ${i} ✓`] : [],
        template: `GET /ü${i % 300}${'x'.repeat(i % 90)}`,
        burst: i % 11 === 0 ? `3@2024-03-01T10:${i % 60}Z` : undefined,
      });
      const { burst } = s;
      const object = {
        line: lineNo,
        score: (i % 101) / 100,
        severity: s.severity,
        anomaly: s.anomaly,
        reasons: s.reasons,
        template: s.template,
      };
      expected.push(`${JSON.stringify(burst === undefined ? object : { ...object, burst })}\n`);
      json.add(lineNo, s);
    }
    expect(json.length).toBeGreaterThan(1 << 20);
    expect(Buffer.from(json.bytes()).toString()).toBe(expected.join(''));
  });

  it('write every score as JSON.stringify does', () => {
    const json = new JsonLines();
    for (let i = 0; i <= 20_000; i++) {
      const score = i / 20_000 + (i % 7) * 1e-9;
      const parsed = JSON.parse(format(json, 1, line({ score })));
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
