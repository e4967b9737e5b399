import { describe, expect, it } from 'vitest';

import { anomaliesAtLeast, anomalyPercent, oneRowPerBurst, totalsFromRows, withSeverities } from './aggregate';
import { exploreUrl } from './explore';
import { rowFromRecord } from './records';
import type { AnomalyRow, Severity } from './types';

const row = (time: number, severity: Severity): AnomalyRow => ({
  time,
  stream: '{job="web"}',
  score: 0,
  severity,
  reason: '',
  template: '',
  line: String(time),
});

const rows = [row(1, 'normal'), row(2, 'low'), row(3, 'high'), row(4, 'critical'), row(5, 'medium')];

describe('aggregates', () => {
  it('counts lines, anomalies and each severity', () => {
    const totals = totalsFromRows(rows);
    expect(totals).toEqual({ lines: 5, anomalies: 4, bySeverity: { normal: 1, low: 1, medium: 1, high: 1, critical: 1 } });
    expect(anomalyPercent(totals)).toBe(80);
    expect(anomalyPercent(totalsFromRows([]))).toBe(0);
  });

  it('lists a burst as one row, its first line with the count of its lines, where that line stands', () => {
    const inBurst = (time: number, burst: string): AnomalyRow => ({ ...row(time, 'low'), burst });
    const listed = anomaliesAtLeast(
      [row(1, 'high'), inBurst(2, 'a'), inBurst(3, 'a'), row(4, 'medium'), inBurst(5, 'b'), inBurst(6, 'a')],
      'low',
    );
    expect(oneRowPerBurst(listed).map((r) => [r.time, r.burst, r.burstLines])).toEqual([
      [5, 'b', 1],
      [4, undefined, undefined],
      [2, 'a', 3],
      [1, undefined, undefined],
    ]);
    expect(oneRowPerBurst(rows)).toEqual(rows);
  });

  it('keeps rows at or above the minimum severity, newest first', () => {
    expect(anomaliesAtLeast(rows, 'medium').map((r) => r.time)).toEqual([5, 4, 3]);
    expect(anomaliesAtLeast(rows, 'normal')).toHaveLength(5);
  });

  it('filters by the severities switched on', () => {
    expect(withSeverities(rows, new Set<Severity>(['high', 'critical'])).map((r) => r.time)).toEqual([3, 4]);
  });
});

describe('rowFromRecord', () => {
  it('turns a ScoredLine from the REST API into a row', () => {
    expect(
      rowFromRecord({
        ts: 1700000000123,
        line: 'GET /admin 403',
        labels: { job: 'upload', file: 'access.log' },
        template: 'GET <*> <*>',
        score: 0.91,
        severity: 'high',
        reasons: ['rare path', 'status 403'],
        detector: 'web@1',
      })
    ).toEqual({
      time: 1700000000123,
      stream: '{file="access.log", job="upload"}',
      labels: { file: 'access.log', job: 'upload' },
      score: 0.91,
      severity: 'high',
      reason: 'rare path; status 403',
      template: 'GET <*> <*>',
      line: 'GET /admin 403',
    });
  });
});

describe('exploreUrl', () => {
  it('opens the query in Explore around the row time', () => {
    const url = exploreUrl({ datasourceUid: 'anomalog', expr: '{job="web"}' }, 1_000_000, 30_000);
    const params = new URL(url, 'http://grafana').searchParams;
    expect(url.startsWith('/explore?')).toBe(true);
    expect(JSON.parse(params.get('panes')!)).toEqual({
      a: {
        datasource: 'anomalog',
        queries: [{ refId: 'A', expr: '{job="web"}', datasource: { type: 'loki', uid: 'anomalog' } }],
        range: { from: '970000', to: '1030000' },
      },
    });
  });
});
