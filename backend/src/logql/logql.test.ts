import { describe, expect, it } from 'vitest';
import { matchesSelector } from './selector.js';
import { touchesAnomalyFields, UnsupportedQuery, type LogQuery, type MetricQuery } from './ast.js';
import { evaluateAt, evaluateRange, formatValue } from './metric.js';
import { parseLogQuery, parseQuery } from './parse.js';
import { applyStages, parseJson, parseLogfmt, type Row } from './stages.js';

const S = 1_000_000_000n;
const row = (sec: number, line: string, stream: Record<string, string>, severity = 'normal', score = '0.100'): Row => ({
  stream,
  ts: BigInt(sec) * S,
  line,
  fields: { anomaly_severity: severity, anomaly_score: score },
  parsed: {},
});

describe('parse', () => {
  it('splits a log query into pushed-down parts and the stages after them', () => {
    const q = parseLogQuery(
      '{job="web", env=~"prod|stage", anomaly_severity="high"} |= "GET" != `health` |~ "(?i)error" | json | status >= 500',
    );
    expect(q.selector.map((m) => `${m.name}${m.op}${m.value}`)).toEqual(['job=web', 'env=~prod|stage']);
    expect(q.lineFilters.map((f) => [f.op, f.values])).toEqual([
      ['|=', ['GET']],
      ['!=', ['health']],
      ['|~', ['(?i)error']],
    ]);
    expect(q.lineFilters[2].regexes![0].test('ERROR here')).toBe(true);
    expect(q.stages.map((s) => s.kind)).toEqual(['labelFilter', 'parser', 'labelFilter']);
  });

  it('parses metric queries: range and vector aggregations, grouping, unwrap, offset, arithmetic', () => {
    const q = parseQuery(
      'topk(3, sum by (anomaly_template) (rate({job="web"}[5m] offset 1m))) / 2 - vector(1)',
    ) as MetricQuery;
    expect(q).toMatchObject({
      kind: 'binary',
      op: '-',
      left: { kind: 'binary', op: '/', right: { kind: 'literal', value: 2 } },
      right: { kind: 'vector', value: 1 },
    });
    const inner = (q as { left: { left: MetricQuery } }).left.left;
    expect(inner).toMatchObject({
      kind: 'aggregate',
      op: 'topk',
      param: 3,
      expr: { kind: 'aggregate', op: 'sum', grouping: { without: false, labels: ['anomaly_template'] } },
    });
    const unwrap = parseQuery('quantile_over_time(0.9, {job="web"} | logfmt | unwrap rt [1m]) without (filename)');
    expect(unwrap).toMatchObject({
      kind: 'range',
      op: 'quantile_over_time',
      param: 0.9,
      unwrap: 'rt',
      rangeMs: 60_000,
      grouping: { without: true, labels: ['filename'] },
    });
  });

  it('knows which queries need scoring', () => {
    expect(touchesAnomalyFields(parseQuery('sum(count_over_time({job="web"}[5m]))'))).toBe(false);
    expect(touchesAnomalyFields(parseQuery('sum by (anomaly_severity) (count_over_time({job="web"}[5m]))'))).toBe(true);
    expect(touchesAnomalyFields(parseQuery('count_over_time({job="web"} | anomaly_score > 0.5 [5m])'))).toBe(true);
    expect(touchesAnomalyFields(parseQuery('count_over_time({job="web", anomaly_severity="high"}[5m])'))).toBe(true);
  });

  it.each([
    ['', /empty query/],
    ['{job="web"', /parse error/],
    ['sum(', /parse error/],
    ['{job!="web"}', /at least one/],
    ['{job="web"} | line_format "{{ range .x }}{{ end }}"', /range .* is not supported/],
    ['{job="web"} | line_format "{{ .x | nosuchfn }}"', /function "nosuchfn" not defined/],
    ['{job="web"} | pattern "<_> <_>"', /consecutive captures|at least one capture/],
    ['{job="web"} | regexp "(?P<ip>\\S+)"', /unsupported LogQL: `regexp/],
    ['{job="web"} |> "<_>"', /at least one literal/],
    ['sum_over_time({job="web"}[5m])', /invalid aggregation sum_over_time without unwrap/],
    ['count_over_time({job="web"} | unwrap x [5m])', /invalid aggregation count_over_time with unwrap/],
    ['1 > 2', /comparisons between scalars must use BOOL/],
    ['rate({job="web"}[5m]) + bool 1', /bool modifier can only be used on comparison/],
    ['label_replace(rate({job="web"}[5m]), "a-b", "$1", "job", "(.*)")', /invalid destination label/],
    ['label_replace(rate({job="web"}[5m]), "a", "$1", "job", "(")', /invalid regular expression/],
    ['sort by (job) (sum(rate({job="web"}[1m])))', /sort does not take by or without/],
    ['sum(rate({job="web"}[1m])) and 1', /unexpected literal for right side of logical\/set binary operation \(and\)/],
    ['{job="web"} |= ip("10.0.0.1")', /unsupported LogQL/],
    ['{job=~"("}', /bad regular expression/],
    ['{job="web"} |= "\\d"', /bad string/],
    ['{job="web"} + 1', /metric expressions on both sides/],
  ])('refuses %j', (query, message) => {
    expect(() => parseQuery(query)).toThrow(UnsupportedQuery);
    expect(() => parseQuery(query)).toThrow(message);
  });
});

describe('stages', () => {
  it('parses json (nested keys joined with _) and logfmt, and filters on parsed labels and fields', () => {
    expect(parseJson('{"a":{"b":1,"c-d":"x"},"arr":[1],"n":null,"ok":true}')).toEqual({
      a_b: '1',
      a_c_d: 'x',
      ok: 'true',
    });
    expect(parseJson('not json')).toEqual({ __error__: 'JSONParserErr' });
    expect(parseLogfmt('level=error msg="disk full" took=2.5 flag')).toEqual({
      level: 'error',
      msg: 'disk full',
      took: '2.5',
      flag: '',
    });
    const q = parseLogQuery('{job="app"} | logfmt | level="error" or took > 3 | anomaly_score < 0.5');
    const r = (line: string) => applyStages(row(0, line, { job: 'app' }), q.stages);
    expect(r('level=error took=1')?.parsed).toEqual({ level: 'error', took: '1' });
    expect(r('level=info took=4')).toBeDefined();
    expect(r('level=info took=2')).toBeUndefined();
    expect(r('level=info took=abc')).toBeUndefined();
    const dropped = applyStages(
      row(0, 'x', { job: 'app', pod: 'a' }),
      parseLogQuery('{job="app"} | json | drop __error__, pod').stages,
    );
    expect(dropped).toMatchObject({ stream: { job: 'app' }, parsed: {} });
  });
});

describe('metric evaluation', () => {
  const rows = [
    row(10, 'a', { job: 'web' }, 'high'),
    row(20, 'bb', { job: 'web' }, 'normal'),
    row(60, 'ccc', { job: 'web' }, 'high'),
    row(61, 'dddd', { job: 'app' }, 'critical'),
  ];
  const input = (keep: string[] = []) => ({
    rows: (log: LogQuery) => rows.filter((r) => matchesSelector(log.selector, r.stream)),
    keepFields: new Set(keep),
  });
  const metric = (q: string) => parseQuery(q) as MetricQuery;

  it('windows are (t - range, t]: a line exactly at t - range is out, at t is in', () => {
    const at = evaluateAt(metric('count_over_time({job="web"}[50s])'), 60n * S, input());
    expect(at).toEqual({ kind: 'vector', samples: [{ labels: { job: 'web' }, value: 2 }] }); // 20 and 60; 10 is out
  });

  it('steps through a range, and a series exists only where it has samples', () => {
    const series = evaluateRange(
      metric('sum by (anomaly_severity) (count_over_time({job=~".+"}[30s]))'),
      [30n * S, 60n * S, 90n * S],
      input(['anomaly_severity']),
    );
    expect(series).toEqual([
      { labels: { anomaly_severity: 'critical' }, points: [[90n * S, 1]] },
      {
        labels: { anomaly_severity: 'high' },
        points: [
          [30n * S, 1],
          [60n * S, 1],
        ],
      },
      { labels: { anomaly_severity: 'normal' }, points: [[30n * S, 1]] },
    ]);
  });

  it('computes rate, bytes, unwrap aggregations, topk, and vector arithmetic', () => {
    const t = 100n * S;
    const value = (q: string, keep?: string[]) => {
      const at = evaluateAt(metric(q), t, input(keep));
      return at.kind === 'scalar' ? at.value : at.samples.map((s) => s.value);
    };
    expect(value('sum(rate({job=~".+"}[100s]))')).toEqual([0.04]);
    expect(value('sum(bytes_over_time({job=~".+"}[100s]))')).toEqual([10]);
    expect(value('max_over_time({job="web"} | unwrap anomaly_score [100s])')).toEqual([0.1]);
    expect(value('quantile_over_time(0.5, {job=~".+"} | unwrap anomaly_score [100s]) by (job)')).toEqual([0.1, 0.1]);
    expect(value('topk(1, count_over_time({job=~".+"}[100s]))')).toEqual([3]);
    expect(value('count_over_time({job="web"}[100s]) / count_over_time({job="web"}[100s])')).toEqual([1]);
    expect(value('2 * 3 + 1')).toBe(7);
    expect(value('1 + 2 * 3')).toBe(7);
    expect(value('8 / 2 - 1')).toBe(3);
    expect(value('8 - 2 - 1')).toBe(5);
    expect(value('(8 - 2) / 2')).toBe(3);
    expect(value('2 ^ 3 ^ 2')).toBe(512);
    expect(formatValue(1 / 0)).toBe('+Inf');
    expect(formatValue(0 / 0)).toBe('NaN');
  });

  it('reads the log query of each range once per evaluation input', () => {
    const q = metric('count_over_time({job="web"}[1m])') as Extract<MetricQuery, { kind: 'range' }>;
    const seen: LogQuery[] = [];
    evaluateAt(q, 60n * S, { rows: (log: LogQuery) => (seen.push(log), rows), keepFields: new Set<string>() });
    expect(seen).toEqual([q.log]);
  });
});
