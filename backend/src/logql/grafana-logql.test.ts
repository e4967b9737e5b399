/** The LogQL Grafana generates (Explore, Logs Drilldown, alert rules), evaluated with Loki's semantics. */
import { describe, expect, it } from 'vitest';
import { matchesSelector } from './selector.js';
import { PipelineError, UnsupportedQuery, type LogQuery, type MetricQuery } from './ast.js';
import { evaluateAt } from './metric.js';
import { parseLogQuery, parseQuery } from './parse.js';
import { compilePattern, matchesPattern } from './pattern.js';
import { applyStages, type Row } from './stages.js';
import { compileTemplate, MAX_OUTPUT, TemplateError } from './template.js';
import { serviceName } from './derived.js';

const S = 1_000_000_000n;
const row = (sec: number, line: string, stream: Record<string, string>, fields: Record<string, string> = {}): Row => ({
  stream,
  ts: BigInt(sec) * S,
  line,
  fields,
  parsed: {},
});
const run = (query: string, r: Row) => applyStages(r, parseLogQuery(query).stages);

describe('pattern line filters (Loki pkg/logql/log/pattern Matcher.Test)', () => {
  it.each([
    // the examples of Loki's own comments
    ['<_> bar', 'foo bar baz', false],
    ['<_> baz', 'foo bar baz', true],
    ['foo <_>', 'foo bar baz', true],
    ['<_> bar <_>', ' bar ', false],
    ['<_>bar<_>', ' bar ', true],
    // a leading literal is found anywhere (Test does not anchor it); a trailing literal ends the line
    ['bar <_>', 'foo bar baz', true],
    ['GET <_> HTTP/1.1', 'GET /x HTTP/1.1', true],
    ['GET <_> HTTP/1.1', 'GET /x HTTP/1.1 extra', false],
    ['<status> <_>', '', false],
  ])('%j on %j: %s', (pattern, line, expected) => {
    expect(matchesPattern(compilePattern(pattern), line)).toBe(expected);
  });

  it('parses |> with or alternatives and !>, and applies them after scoring (a Drain template counts as a match)', () => {
    const q = parseLogQuery('{job="web"} |> "<_> GET <_>" or "<_> POST <_>" !> "<_> /health <_>"');
    expect(q.lineFilters).toEqual([]);
    expect(q.stages.map((s) => s.kind)).toEqual(['pattern', 'pattern']);
    const keep = (line: string, template = 'x') =>
      run(
        '{job="web"} |> "<_> GET <_>" or "<_> POST <_>" !> "<_> /health <_>"',
        row(0, line, { job: 'web' }, { anomaly_template: template }),
      ) !== undefined;
    expect(keep('1.2.3.4 GET /a 200')).toBe(true);
    expect(keep('1.2.3.4 POST /a 200')).toBe(true);
    expect(keep('1.2.3.4 GET /health 200')).toBe(false);
    expect(keep('1.2.3.4 PUT /a 200')).toBe(false);
    expect(
      run(
        '{job="web"} |> "PUT /api/items/<_>"',
        row(0, '1.2.3.4 - "PUT /api/items/7 HTTP/1.1" 200', { job: 'web' }, { anomaly_template: 'PUT /api/items/<*>' }),
      ),
    ).toBeDefined();
    expect(() => parseQuery('{job="web"} |> "<a><b> x"')).toThrow(/consecutive captures/);
  });
});

describe('keep, drop, line_format, label_format', () => {
  const r = () =>
    row(
      0,
      'level=warn msg="slow" took=3s',
      { job: 'app', pod: 'a-1' },
      { anomaly_severity: 'high', detected_level: 'warn' },
    );

  it('keep keeps the named labels (and matchers where they match) across stream, parsed and structured metadata', () => {
    expect(run('{job="app"} | logfmt | keep job, level', r())).toMatchObject({
      stream: { job: 'app' },
      parsed: { level: 'warn' },
      fields: {},
    });
    expect(run('{job="app"} | keep job, pod="b-2"', r())?.stream).toEqual({ job: 'app' });
    expect(run('{job="app"} | keep pod=~"a-.*"', r())?.stream).toEqual({ pod: 'a-1' });
    expect(run('{job="app"} | json | keep job', r())?.parsed).toMatchObject({ __error__: 'JSONParserErr' }); // error labels stay
  });

  it('drop takes names and matchers', () => {
    const out = run('{job="app"} | json | drop __error__="JSONParserErr", __error_details__, pod', r());
    expect(out).toMatchObject({ stream: { job: 'app' }, parsed: {} });
    expect(run('{job="app"} | drop pod="other"', r())?.stream).toEqual({ job: 'app', pod: 'a-1' });
  });

  it('the pattern parser (Loki Matcher.Matches) and decolorize', () => {
    const line = '10.1.2.3 - - [01/Jan/2026:00:00:00 +0000] "GET /api/items/7 HTTP/1.1" 200 512';
    expect(
      run(
        '{job="app"} | pattern "<ip> - - [<_>] \\"<method> <path> <_>\\" <status> <size>"',
        row(0, line, { job: 'app' }),
      )?.parsed,
    ).toEqual({
      ip: '10.1.2.3',
      method: 'GET',
      path: '/api/items/7',
      status: '200',
      size: '512',
    });
    expect(run('{job="app"} | pattern "GET <path> "', row(0, line, { job: 'app' }))?.parsed).toEqual({}); // a leading literal must start the line
    expect(run('{job="app"} | pattern "<ip> <rest>" | ip="10.1.2.3"', row(0, line, { job: 'app' }))).toBeDefined();
    expect(
      run('{job="app"} | unpack', row(0, '{"_entry":"the line","pod":"p-1","n":3}', { job: 'app' })),
    ).toMatchObject({ line: 'the line', parsed: { pod: 'p-1' } });
    expect(
      run(
        '{job="app"} | decolorize',
        row(0, '\u001b[31mred\u001b[0m and \u001b[1;32mbold green\u001b[0m', { job: 'app' }),
      )?.line,
    ).toBe('red and bold green');
  });

  it("duration and bytes label filters (Drilldown's numeric filters on duration / bytes fields)", () => {
    const keep = (q: string, line: string) => run(q, row(0, line, { job: 'app' })) !== undefined;
    expect(keep('{job="app"} | logfmt | took > 250ms', 'took=1.5s')).toBe(true);
    expect(keep('{job="app"} | logfmt | took > 250ms', 'took=100ms')).toBe(false);
    expect(keep('{job="app"} | logfmt | took > 250ms', 'took=oops')).toBe(false);
    expect(keep('{job="app"} | logfmt | size >= 1.5KB', 'size=2KB')).toBe(true);
    expect(keep('{job="app"} | logfmt | size >= 1.5KB', 'size=1000')).toBe(false);
    expect(keep('{job="app"} | logfmt | size >= 1KiB and took <= 1m', 'size=1024 took=59s')).toBe(true);
  });

  it('line_format and label_format render Go templates over every label', () => {
    expect(
      run(
        '{job="app"} | logfmt | line_format "{{.level | ToUpper}}: {{.msg}} ({{ .anomaly_severity }}, {{ __line__ | len }})"',
        r(),
      )?.line,
    ).toBe('WARN: slow (high, 29)');
    const out = run(
      '{job="app"} | logfmt | label_format lvl=level, what="{{ printf \\"%s/%s\\" .job .pod }}", took="{{ .took | trimSuffix \\"s\\" }}"',
      r(),
    );
    expect(out?.parsed).toMatchObject({ lvl: 'warn', what: 'app/a-1', took: '3' });
    expect(out?.parsed.level).toBeUndefined();
    expect(run('{job="app"} | label_format job="{{ .job | title }}"', r())).toMatchObject({
      stream: { pod: 'a-1' },
      parsed: { job: 'App' },
    });
    // a rename keeps the category: a stream label stays one, structured metadata stays structured metadata
    expect(run('{job="app"} | label_format team=job, lvl=detected_level, nothing=missing', r())).toMatchObject({
      stream: { team: 'app', pod: 'a-1' },
      fields: { lvl: 'warn', anomaly_severity: 'high' },
      parsed: {},
    });
    expect(() => parseQuery('{job="app"} | label_format a=b, a=c')).toThrow(/multiple label name 'a'/);
    const failed = run('{job="app"} | line_format "{{ div 1 0 }}"', r());
    expect(failed).toMatchObject({ line: r().line, parsed: { __error__: 'TemplateFormatErr' } });
  });
});

describe("json and logfmt with extractions (Drilldown's json field filters)", () => {
  it("extracts paths of Loki's JSON expressions", () => {
    const line = JSON.stringify({ a: { b: [10, { c: 'deep' }] }, 'user agent': 'curl', n: null, obj: { x: 1 } });
    const out = run(
      '{job="app"} | json first="a.b[0]", c="a.b[1].c", ua="[\\"user agent\\"]", n, obj, missing="a.z"',
      row(0, line, { job: 'app' }),
    );
    expect(out?.parsed).toEqual({ first: '10', c: 'deep', ua: 'curl', n: '', obj: '{"x":1}', missing: '' });
    expect(run('{job="app"} | json x="a"', row(0, 'not json', { job: 'app' }))?.parsed).toEqual({
      __error__: 'JSONParserErr',
    });
    expect(
      run('{job="app"} | logfmt lvl="level", took', row(0, 'level=warn took=3s other=1', { job: 'app' }))?.parsed,
    ).toEqual({ lvl: 'warn', took: '3s' });
    expect(() => parseQuery('{job="app"} | json x="a..b"')).toThrow(/invalid JSON expression/);
    expect(() => parseQuery('{job="app"} | logfmt --strict x')).toThrow(/unsupported LogQL: logfmt with flags/);
  });
});

describe('the template engine is safe', () => {
  const render = (t: string, labels: Record<string, string> = { a: 'x' }) =>
    compileTemplate(t).run({ labels, line: 'the line', ts: 1_700_000_000_123n * 1_000_000n });

  it('reads only own labels: no prototype, constructor or function access', () => {
    expect(render('[{{.__proto__}}][{{.constructor}}][{{.toString}}][{{.hasOwnProperty}}]')).toBe('[][][][]');
    expect(() => compileTemplate('{{ constructor }}')).toThrow(/not defined/);
    expect(() => compileTemplate('{{ toString .a }}')).toThrow(/not defined/);
    expect(() => compileTemplate('{{ range .a }}{{ end }}')).toThrow(TemplateError);
  });

  it('bounds output', () => {
    expect(() => render('{{ repeat 100000 "abc" }}')).toThrow(/longer than/);
    expect(render('{{ printf "%99999999s" "x" }}')).toHaveLength(MAX_OUTPUT); // the width is capped
    expect(() => render('{{ printf "%99999999s" "x" }}{{.a}}')).toThrow(/longer than/);
    expect(() => render(`{{ printf "${'%60000s'.repeat(20)}" ${'"x" '.repeat(20)}}}`)).toThrow(/longer than/);
    expect(() => render(`{{ replace "" "${'z'.repeat(1000)}" "${'a'.repeat(1000)}" }}`)).toThrow(/longer than/);
    expect(() => render('{{ Replace "ab" "" "-" 1000000000000 }}')).not.toThrow();
    expect(render('{{ Replace "ab" "" "-" -1 }} {{ Replace "aaa" "a" "b" 2 }} {{ replace "a" "b" "banana" }}')).toBe(
      '-a-b- bba bbnbnb',
    );
    expect(() => compileTemplate(`{{ ${'('.repeat(200)}"x"${')'.repeat(200)} }}`)).toThrow(/nested deeper/);
    expect(() => compileTemplate('{{ if .a }}'.repeat(200) + '{{ end }}'.repeat(200))).toThrow(/nested deeper/);
    expect(render('{{ "tab\\there \\x41" }}')).toBe('tab\there A');
    const big = 'y'.repeat(MAX_OUTPUT);
    expect(() => render('{{.a}}{{.a}}', { a: big })).toThrow(/longer than/);
  });

  it('has the documented functions and if/else', () => {
    expect(render('{{ if eq .a "x" }}yes{{ else if eq .a "y" }}why{{ else }}no{{ end }}')).toBe('yes');
    expect(render('{{ if and .a .missing }}1{{ else }}2{{ end }}')).toBe('2');
    expect(
      render('{{ .missing | default "d" }} {{ add 2 3 }} {{ divf 1 4 }} {{ substr 1 3 "abcdef" }} {{ trunc 2 "abc" }}'),
    ).toBe('d 5 0.25 bc ab');
    expect(
      render('{{ replace "x" "y" .a }} {{ Replace "aaa" "a" "b" 2 }} {{ trimAll "-" "--a--" }} {{ b64enc "hi" }}'),
    ).toBe('y bba a aGk=');
    expect(render('{{ __timestamp__ }}')).toBe('2023-11-14T22:13:20.123Z');
    expect(render('{{- "  a  " -}}|{{ "b" }}')).toBe('  a  |b');
  });
});

describe('metric queries Grafana sends', () => {
  const rows: Row[] = [
    row(10, 'level=info took=100ms size=1KB', { job: 'app' }, { anomaly_score: '0.100', detected_level: 'info' }),
    row(20, 'level=error took=1.5s size=2KB', { job: 'app' }, { anomaly_score: '0.900', detected_level: 'error' }),
    row(30, 'level=info took=oops size=3KB', { job: 'app' }, { anomaly_score: '0.200', detected_level: 'info' }),
    row(40, 'level=info took=300ms size=4KB', { job: 'web' }, { anomaly_score: '0.400', detected_level: 'info' }),
  ];
  const input = {
    rows: (log: LogQuery) =>
      rows
        .filter((r) => matchesSelector(log.selector, r.stream))
        .map((r) => applyStages(r, log.stages))
        .filter((r): r is Row => r !== undefined),
    keepFields: new Set<string>(),
  };
  const at = (q: string, t = 60n) => evaluateAt(parseQuery(q) as MetricQuery, t * S, input);
  const values = (q: string, t?: bigint) => {
    const v = at(q, t);
    return v.kind === 'scalar' ? v.value : v.samples.map((s) => [s.labels, s.value]);
  };

  it('Drilldown\'s numeric field panel: avg_over_time(… | unwrap f | __error__="" [$__auto]) by ()', () => {
    expect(values('avg_over_time({job=~".+"} | unwrap anomaly_score | __error__="" [1m]) by ()')).toEqual([[{}, 0.4]]);
  });

  it("unwrap conversions; an unfiltered SampleExtractionErr is Loki's pipeline error", () => {
    expect(values('sum(sum_over_time({job="app"} | logfmt | unwrap duration(took) | __error__="" [1m]))')).toEqual([
      [{}, 1.6],
    ]);
    expect(values('max(max_over_time({job=~".+"} | logfmt | unwrap bytes(size) [1m]))')).toEqual([[{}, 4000]]);
    expect(() => at('sum(sum_over_time({job="app"} | logfmt | unwrap duration(took) [1m]))')).toThrow(PipelineError);
    expect(() => at('sum(sum_over_time({job="app"} | logfmt | unwrap duration(took) [1m]))')).toThrow(
      /pipeline error: 'SampleExtractionErr'/,
    );
    expect(() => at('count_over_time({job="app"} | json [1m])')).toThrow(/'JSONParserErr'/);
    expect(values('sum(count_over_time({job="app"} | json | drop __error__, __error_details__ [1m]))')).toEqual([
      [{}, 3],
    ]);
  });

  it('groups by every label of a by (...) list', () => {
    expect(parseQuery('sum by (level, detected_level, job) (count_over_time({job="x"}[1m]))')).toMatchObject({
      grouping: { labels: ['level', 'detected_level', 'job'] },
    });
    expect(parseQuery('count_over_time({job="x"}[1m]) without (a, b, c)')).toMatchObject({
      grouping: { without: true, labels: ['a', 'b', 'c'] },
    });
  });

  it('level volume: detected_level is a series label (structured metadata), anomaly fields only when grouped', () => {
    expect(values('sum by (level, detected_level) (count_over_time({job=~".+"} | drop __error__ [1m]))')).toEqual([
      [{ detected_level: 'info' }, 3],
      [{ detected_level: 'error' }, 1],
    ]);
    expect(values('count_over_time({job="web"}[1m])')).toEqual([[{ job: 'web', detected_level: 'info' }, 1]]);
  });

  it('comparisons filter, or give 0/1 with bool; scalar comparisons need bool', () => {
    const base = 'sum by (job) (count_over_time({job=~".+"}[1m]))';
    expect(values(`${base} > 1`)).toEqual([[{ job: 'app' }, 3]]);
    expect(values(`${base} >= bool 3`)).toEqual([
      [{ job: 'app' }, 1],
      [{ job: 'web' }, 0],
    ]);
    expect(values(`1 < ${base}`)).toEqual([[{ job: 'app' }, 3]]);
    expect(values(`${base} == ${base}`)).toEqual([
      [{ job: 'app' }, 3],
      [{ job: 'web' }, 1],
    ]);
    expect(values('2 == bool 2')).toBe(1);
    expect(values(`${base} + 1 > 3`)).toEqual([[{ job: 'app' }, 4]]); // + binds tighter than >
    expect(() => parseQuery('1 == 1')).toThrow(UnsupportedQuery);
  });

  it('sort and sort_desc order an instant vector by value', () => {
    expect(values('sort_desc(sum by (job) (count_over_time({job=~".+"}[1m])))')).toEqual([
      [{ job: 'app' }, 3],
      [{ job: 'web' }, 1],
    ]);
    expect(values('sort(sum by (job) (count_over_time({job=~".+"}[1m])))')).toEqual([
      [{ job: 'web' }, 1],
      [{ job: 'app' }, 3],
    ]);
  });

  it('stddev and stdvar across series', () => {
    expect(values('stdvar(sum by (job) (count_over_time({job=~".+"}[1m])))')).toEqual([[{}, 1]]); // 3 and 1
    expect(values('stddev by (detected_level) (count_over_time({job=~".+"}[1m]))')).toEqual([
      [{ detected_level: 'info' }, 0.5],
      [{ detected_level: 'error' }, 0],
    ]);
  });

  it('set operators and, or, unless match on label sets', () => {
    const app = 'sum by (job) (count_over_time({job="app"}[1m]))';
    const all = 'sum by (job) (count_over_time({job=~".+"}[1m]))';
    expect(values(`${all} and ${app}`)).toEqual([[{ job: 'app' }, 3]]);
    expect(values(`${all} unless ${app}`)).toEqual([[{ job: 'web' }, 1]]);
    expect(values(`${app} or ${all}`)).toEqual([
      [{ job: 'app' }, 3],
      [{ job: 'web' }, 1],
    ]);
    expect(values(`${all} > 2 or ${all} == 1`)).toEqual([
      [{ job: 'app' }, 3],
      [{ job: 'web' }, 1],
    ]); // or binds loosest
  });

  it('vector matching: on(), ignoring(), group_left(), group_right()', () => {
    const byLevel = 'sum by (job, detected_level) (count_over_time({job=~".+"}[1m]))';
    const byJob = 'sum by (job) (count_over_time({job=~".+"}[1m]))';
    // the share of each level in its job (many-to-one)
    expect(values(`${byLevel} / on(job) group_left ${byJob}`)).toEqual([
      [{ job: 'app', detected_level: 'info' }, 2 / 3],
      [{ job: 'app', detected_level: 'error' }, 1 / 3],
      [{ job: 'web', detected_level: 'info' }, 1],
    ]);
    expect(values(`${byJob} / on(job) group_right ${byLevel}`)).toEqual([
      [{ job: 'app', detected_level: 'info' }, 3 / 2],
      [{ job: 'app', detected_level: 'error' }, 3],
      [{ job: 'web', detected_level: 'info' }, 1],
    ]);
    // one-to-one on a reduced signature; the result keeps the matching labels only
    expect(
      values(`sum by (job, env) (label_replace(${byJob}, "env", "prod", "job", ".*")) - ignoring(env) ${byJob}`),
    ).toEqual([
      [{ job: 'app' }, 0],
      [{ job: 'web' }, 0],
    ]);
    expect(() => at(`${byLevel} / on(job) ${byJob}`)).toThrow(/many-to-one matching must be explicit/);
    expect(values(`${byLevel} and on(job) ${byJob} > 2`)).toEqual([
      [{ job: 'app', detected_level: 'info' }, 2],
      [{ job: 'app', detected_level: 'error' }, 1],
    ]);
    expect(() => parseQuery(`${byJob} and on(job) group_left ${byJob}`)).toThrow(/no grouping allowed/);
  });

  it('absent_over_time, first/last/stddev, rate over unwrap, rate_counter', () => {
    expect(values('absent_over_time({job="nope", env=~"x"}[1m])')).toEqual([[{ job: 'nope' }, 1]]);
    expect(values('absent_over_time({job="app"}[1m])')).toEqual([]);
    expect(values('first_over_time({job=~".+"} | unwrap anomaly_score [1m]) by (job)')).toEqual([
      [{ job: 'app' }, 0.1],
      [{ job: 'web' }, 0.4],
    ]);
    expect(values('last_over_time({job="app"} | unwrap anomaly_score [1m]) by (job)')).toEqual([[{ job: 'app' }, 0.2]]);
    expect(values('stdvar_over_time({job="app"} | unwrap anomaly_score [1m]) by (job)')).toEqual([
      [{ job: 'app' }, expect.closeTo(0.12666666, 6)],
    ]);
    expect(values('rate({job="app"} | unwrap anomaly_score [1m]) by (job)')).toEqual([
      [{ job: 'app' }, expect.closeTo(1.2 / 60, 9)],
    ]);
    // counter 1,2,3 KB at 10s, 20s, 30s: +2000 over 20s, extrapolated to the window's edges (Prometheus' extrapolatedRate)
    const [[, rate]] = values(
      'rate_counter({job="app"} | logfmt | drop level, took, detected_level | unwrap bytes(size) [40s]) by (job)',
      40n,
    ) as [unknown, number][];
    expect(rate).toBeCloseTo(100, 6);
  });

  it('label_replace with anchored regexes and $1 / ${name} expansion', () => {
    const base = 'sum by (job) (count_over_time({job=~".+"}[1m]))';
    expect(values(`label_replace(${base}, "team", "t-$1", "job", "(a.*)")`)).toEqual([
      [{ job: 'app', team: 't-app' }, 3],
      [{ job: 'web' }, 1],
    ]);
    expect(values(`label_replace(${base}, "x", "\${first}", "job", "(?<first>.)..")`)).toEqual([
      [{ job: 'app', x: 'a' }, 3],
      [{ job: 'web', x: 'w' }, 1],
    ]);
    expect(values(`label_replace(${base}, "job", "", "job", "web")`)).toEqual([
      [{ job: 'app' }, 3],
      [{}, 1],
    ]);
  });
});

describe('derived labels', () => {
  it("service_name follows Loki's discovery order, else unknown_service", () => {
    expect(serviceName({ job: 'j', app: 'a', service: 's' })).toBe('s');
    expect(serviceName({ job: 'j', container: 'c' })).toBe('c');
    expect(serviceName({ job: 'j' })).toBe('j');
    expect(serviceName({ filename: '/x.log' })).toBe('unknown_service');
    expect(serviceName({ service_name: 'own', app: 'a' })).toBe('own');
  });
});
