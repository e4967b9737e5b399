import { parser } from '@grafana/lezer-logql';
import type { SyntaxNode } from '@lezer/common';
import type { LabelMatcher, MatchOp } from './selector.js';
import { goRegExp, lineFilter, type GoRegex, type LineFilter } from './line-filter.js';
import { compilePattern } from './pattern.js';
import { goDurationSeconds, parseBytes } from './units.js';
import { compileTemplate, TemplateError, type Template } from './template.js';
import {
  isAnomalyField,
  UnsupportedQuery,
  type ArithmeticOp,
  type BinaryOp,
  type LabelFormatOp,
  type UnwrapConversion,
  type VectorMatching,
  type CompareOp,
  type Grouping,
  type LabelPredicate,
  type LogQuery,
  type MetricQuery,
  type Query,
  type RangeOp,
  type Stage,
  type VectorOp,
} from './ast.js';

const RANGE_OPS: Record<string, RangeOp> = {
  CountOverTime: 'count_over_time',
  Rate: 'rate',
  BytesOverTime: 'bytes_over_time',
  BytesRate: 'bytes_rate',
  SumOverTime: 'sum_over_time',
  AvgOverTime: 'avg_over_time',
  MinOverTime: 'min_over_time',
  MaxOverTime: 'max_over_time',
  QuantileOverTime: 'quantile_over_time',
  StddevOverTime: 'stddev_over_time',
  StdvarOverTime: 'stdvar_over_time',
  FirstOverTime: 'first_over_time',
  LastOverTime: 'last_over_time',
  AbsentOverTime: 'absent_over_time',
  RateCounter: 'rate_counter',
};
/** Loki `pkg/logql/syntax/ast.go` (RangeAggregationExpr.validate): the ops that need `| unwrap`, and those that may have it. */
const UNWRAP_OPS = new Set<RangeOp>([
  'sum_over_time',
  'avg_over_time',
  'min_over_time',
  'max_over_time',
  'quantile_over_time',
  'stddev_over_time',
  'stdvar_over_time',
  'first_over_time',
  'last_over_time',
  'rate_counter',
]);
const UNWRAP_OPTIONAL = new Set<RangeOp>(['rate', 'absent_over_time']);
const CONVERSIONS: Record<string, UnwrapConversion> = {
  DurationConv: 'duration',
  DurationSecondsConv: 'duration_seconds',
  BytesConv: 'bytes',
};
const VECTOR_OPS: Record<string, VectorOp> = {
  Sum: 'sum',
  Avg: 'avg',
  Min: 'min',
  Max: 'max',
  Count: 'count',
  Stddev: 'stddev',
  Stdvar: 'stdvar',
  Topk: 'topk',
  Bottomk: 'bottomk',
  Sort: 'sort',
  Sort_Desc: 'sort_desc',
};
const ARITHMETIC: Record<string, ArithmeticOp> = { Add: '+', Sub: '-', Mul: '*', Div: '/', Mod: '%', Pow: '^' };
/** LogQL's (PromQL's) precedence: `^`, then `* / %`, then `+ -`, then the comparisons, then `and unless`, then `or`. */
const PRECEDENCE: Record<BinaryOp, number> = {
  or: 1,
  and: 2,
  unless: 2,
  '==': 3,
  '!=': 3,
  '>': 3,
  '>=': 3,
  '<': 3,
  '<=': 3,
  '+': 4,
  '-': 4,
  '*': 5,
  '/': 5,
  '%': 5,
  '^': 6,
};
const BINARY_COMPARE: Record<string, BinaryOp> = { Gtr: '>', Gte: '>=', Lss: '<', Lte: '<=', Eql: '==', Neq: '!=' };
const SET_OPS: Record<string, BinaryOp> = { And: 'and', Or: 'or', Unless: 'unless' };
const MATCH_OPS: Record<string, MatchOp> = { Eq: '=', Neq: '!=', Re: '=~', Nre: '!~' };
const COMPARE_OPS: Record<string, CompareOp> = {
  Gtr: '>',
  Gte: '>=',
  Lss: '<',
  Lte: '<=',
  Eql: '==',
  Eq: '==',
  Neq: '!=',
};
const FILTER_OPS: Record<string, LineFilter['op']> = { PipeExact: '|=', Neq: '!=', PipeMatch: '|~', Nre: '!~' };
/** Pattern line filters (`|>`, `!>`): Grafana Logs Drilldown's include / exclude pattern (renderPatternFilters.ts). */
const PATTERN_OPS: Record<string, boolean> = { PipePattern: false, Npa: true };
const DURATION_MS: Record<string, number> = { ms: 1, s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5, y: 31536e6 };
const MAX_DURATION_MS = 100 * 31536e6;

/**
 * The selector of every stream: `service_name`, which Loki 3 derives for every stream (and Anomalog too), is never
 * empty. Used when a selector names only anomaly fields, which are not stream labels.
 */
const EVERY_STREAM = (): LabelMatcher => ({ name: 'service_name', op: '=~', value: '.+', regex: goRegExp('.+', true) });

/** Parses a LogQL query into the supported subset, or throws UnsupportedQuery saying what is wrong. */
export function parseQuery(text: string): Query {
  if (!text.trim()) throw new UnsupportedQuery('parse error: empty query');
  const tree = parser.parse(text);
  tree.iterate({
    enter(node) {
      if (node.type.isError) {
        const at = text.slice(node.from, node.from + 20);
        throw new UnsupportedQuery(
          `parse error at position ${node.from + 1}${at ? ` near "${at}"` : ''}: not valid LogQL`,
        );
      }
    },
  });
  const top = only(tree.topNode, text);
  if (top.name !== 'Expr') throw unsupported(top, text);
  return new Walker(text).expr(top);
}

class Walker {
  constructor(private readonly text: string) {}

  expr(node: SyntaxNode): Query {
    const inner = only(node, this.text);
    if (inner.name === 'LogExpr') return this.logExpr(inner);
    if (inner.name === 'MetricExpr') return this.metric(inner);
    throw unsupported(inner, this.text);
  }

  private logExpr(node: SyntaxNode): LogQuery {
    const kids = children(node);
    const selector = kids.find((k) => k.name === 'Selector');
    if (!selector) throw unsupported(node, this.text);
    const pipeline = kids.find((k) => k.name === 'PipelineExpr');
    const rest = kids.filter((k) => k !== selector && k !== pipeline && !isPunctuation(k));
    if (rest.length > 0) throw unsupported(rest[0], this.text);
    return this.logQuery(selector, pipeline ? collect(pipeline, 'PipelineStage') : []);
  }

  private logQuery(selector: SyntaxNode, stageNodes: SyntaxNode[]): LogQuery {
    const all = collect(selector, 'Matcher').map((m) => this.matcher(m));
    // Anomaly fields are not stream labels: in a selector they act as label filters (Grafana puts them there).
    const matchers = all.filter((m) => !isAnomalyField(m.name));
    const fieldFilters: Stage[] = all
      .filter((m) => isAnomalyField(m.name))
      .map((matcher) => ({ kind: 'labelFilter', filter: { kind: 'string', matcher } }));
    const nonEmpty = (m: LabelMatcher) => (m.op === '=' && m.value !== '') || (m.op === '=~' && !m.regex!.test(''));
    if (!matchers.some(nonEmpty)) {
      // `{anomaly_severity="critical"}` alone (Grafana's label browser builds it): every stream, filtered after scoring
      if (all.some((m) => isAnomalyField(m.name) && nonEmpty(m))) matchers.push(EVERY_STREAM());
      else
        throw new UnsupportedQuery(
          'queries require at least one regexp or equality matcher that does not have an empty-compatible value, like {job="web"}',
        );
    }
    const stages = stageNodes.flatMap((s) => this.stage(s));
    const firstOther = stages.findIndex((s) => s.kind !== 'lineFilter');
    const pushed = firstOther === -1 ? stages : stages.slice(0, firstOther);
    return {
      kind: 'log',
      selector: matchers,
      lineFilters: pushed.map((s) => (s as { filter: LineFilter }).filter),
      stages: [...fieldFilters, ...(firstOther === -1 ? [] : stages.slice(firstOther))],
    };
  }

  private matcher(node: SyntaxNode): LabelMatcher {
    const name = this.textOf(node.getChild('Identifier'));
    const opNode = children(node).find((k) => k.name in MATCH_OPS);
    const valueNode = node.getChild('String');
    if (!opNode || !valueNode) throw unsupported(node, this.text);
    const op = MATCH_OPS[opNode.name];
    const value = this.string(valueNode);
    return { name, op, value, regex: op === '=~' || op === '!~' ? compile(value, true) : undefined };
  }

  private stage(node: SyntaxNode): Stage[] {
    const kids = children(node).filter((k) => k.name !== 'Pipe');
    if (kids.length !== 1) throw unsupported(node, this.text);
    const [kid] = kids;
    switch (kid.name) {
      case 'LineFilters':
        return collect(kid, 'LineFilter').map((f): Stage => {
          const negate = PATTERN_OPS[children(f)[0]?.firstChild?.name ?? ''];
          if (negate !== undefined) return this.patternFilter(f, negate);
          return { kind: 'lineFilter', filter: this.lineFilter(f) };
        });
      case 'DecolorizeExpr':
        return [{ kind: 'decolorize' }];
      case 'KeepLabelsExpr': {
        const { names, matchers } = this.labelList(collect(kid, 'KeepLabel'));
        return [{ kind: 'keep', names, matchers }];
      }
      case 'LineFormatExpr':
        return [{ kind: 'lineFormat', template: this.template(kid.getChild('String')) }];
      case 'LabelFormatExpr': {
        const ops = collect(kid, 'LabelFormatMatcher').map((m) => this.labelFormat(m));
        const dup = ops.find((op, i) => ops.findIndex((o) => o.dst === op.dst) !== i);
        if (dup)
          throw new UnsupportedQuery(`multiple label name '${dup.dst}' not allowed in a single format operation`);
        return [{ kind: 'labelFormat', ops }];
      }
      case 'LabelParser':
      case 'LogfmtParser': {
        const format = children(kid).map((k) => k.name);
        if (format.length === 1 && format[0] === 'Json') return [{ kind: 'parser', format: 'json' }];
        if (format.length === 1 && format[0] === 'Logfmt') return [{ kind: 'parser', format: 'logfmt' }];
        if (format.length === 1 && format[0] === 'Unpack') return [{ kind: 'unpack' }];
        if (format.length === 2 && format[0] === 'Pattern' && format[1] === 'String') {
          const text = this.string(kid.getChild('String')!);
          let pattern;
          try {
            pattern = compilePattern(text);
          } catch (err) {
            throw new UnsupportedQuery(`parse error: ${(err as Error).message}`);
          }
          if (!pattern.parts.some((p) => 'capture' in p && p.capture !== '_'))
            throw new UnsupportedQuery(`parse error: pattern "${text}": at least one capture is required`);
          return [{ kind: 'patternParser', pattern }];
        }
        throw unsupported(
          kid,
          this.text,
          'the supported parsers are `| json`, `| logfmt`, `| pattern "..."` and `| unpack`',
        );
      }
      case 'JsonExpressionParser':
      case 'LogfmtExpressionParser': {
        const json = kid.name === 'JsonExpressionParser';
        if (kid.getChild('LogfmtParserFlags'))
          throw unsupported(kid, this.text, 'logfmt flags (--strict, --keep-empty) are not supported');
        const extract = collect(kid, 'LabelExtractionExpression').map((e) => {
          const name = this.textOf(e.getChild('Identifier'));
          const value = e.getChild('String');
          const path = value ? this.string(value) : name;
          return { name, path: json ? jsonPath(path) : [path] };
        });
        return [{ kind: 'parser', format: json ? 'json' : 'logfmt', extract }];
      }
      case 'LabelFilter':
        return [{ kind: 'labelFilter', filter: this.labelFilter(kid) }];
      case 'DropLabelsExpr': {
        const { names, matchers } = this.labelList(collect(kid, 'DropLabel'));
        return [{ kind: 'drop', names, matchers }];
      }
      default:
        throw unsupported(kid, this.text);
    }
  }

  /** `keep` / `drop` arguments: names, or matchers (`__error__="JSONParserErr"`). */
  private labelList(nodes: SyntaxNode[]): { names: string[]; matchers: LabelMatcher[] } {
    const names: string[] = [];
    const matchers: LabelMatcher[] = [];
    for (const n of nodes) {
      const kid = n.firstChild;
      if (kid?.name === 'Identifier') names.push(this.textOf(kid));
      else if (kid?.name === 'Matcher') matchers.push(this.matcher(kid));
      else throw unsupported(n, this.text);
    }
    return { names, matchers };
  }

  private patternFilter(node: SyntaxNode, negate: boolean): Stage {
    const patterns = collect(node, 'String').map((s) => {
      try {
        return compilePattern(this.string(s));
      } catch (err) {
        throw new UnsupportedQuery(`parse error: ${(err as Error).message}`);
      }
    });
    return { kind: 'pattern', negate, patterns };
  }

  private template(node: SyntaxNode | null): Template {
    const source = this.string(
      node ??
        (() => {
          throw new UnsupportedQuery('parse error: line_format needs a template string');
        })(),
    );
    try {
      return compileTemplate(source);
    } catch (err) {
      if (err instanceof TemplateError)
        throw new UnsupportedQuery(`parse error: invalid template "${source}": ${err.message}`);
      throw err;
    }
  }

  private labelFormat(node: SyntaxNode): LabelFormatOp {
    const ids = node.getChildren('Identifier');
    const dst = this.textOf(ids[0]);
    const value = node.getChild('String');
    if (value) return { dst, template: this.template(value) };
    if (ids.length !== 2) throw unsupported(node, this.text);
    return { dst, rename: this.textOf(ids[1]) };
  }

  private lineFilter(node: SyntaxNode): LineFilter {
    const kids = children(node);
    const op = FILTER_OPS[kids[0]?.firstChild?.name ?? ''];
    if (!op || kids.some((k) => k.name === 'FilterOp')) throw unsupported(node, this.text);
    const strings = [...collect(node, 'String')].map((s) => this.string(s));
    if (op === '|~' || op === '!~') for (const s of strings) compile(s, false);
    return lineFilter(op, strings);
  }

  private labelFilter(node: SyntaxNode): LabelPredicate {
    const kids = children(node).filter((k) => !isPunctuation(k));
    if (kids.length === 1) {
      const [kid] = kids;
      if (kid.name === 'LabelFilter') return this.labelFilter(kid);
      if (kid.name === 'Matcher') return { kind: 'string', matcher: this.matcher(kid) };
      if (kid.name === 'NumberFilter') return this.numberFilter(kid);
      if (kid.name === 'UnitFilter') return this.unitFilter(kid);
      throw unsupported(kid, this.text);
    }
    const filters = kids.filter((k) => k.name === 'LabelFilter');
    if (filters.length !== 2) throw unsupported(node, this.text);
    const kind = kids.some((k) => k.name === 'Or') ? 'or' : 'and';
    return { kind, left: this.labelFilter(filters[0]), right: this.labelFilter(filters[1]) };
  }

  /** `| took > 250ms` (DurationFilter) or `| size >= 1.5KB` (BytesFilter). */
  private unitFilter(node: SyntaxNode): LabelPredicate {
    const inner = node.firstChild;
    const unit = inner?.name === 'DurationFilter' ? 'duration' : inner?.name === 'BytesFilter' ? 'bytes' : undefined;
    const opNode = inner ? children(inner).find((k) => k.name in COMPARE_OPS) : undefined;
    const literal = inner?.getChild(unit === 'duration' ? 'Duration' : 'Bytes');
    if (!unit || !inner || !opNode || !literal) throw unsupported(node, this.text);
    const text = this.textOf(literal);
    const value = unit === 'duration' ? goDurationSeconds(text) : parseBytes(text);
    if (Number.isNaN(value)) throw new UnsupportedQuery(`parse error: invalid ${unit} "${text}"`);
    return { kind: 'unit', unit, name: this.textOf(inner.getChild('Identifier')), op: COMPARE_OPS[opNode.name], value };
  }

  private numberFilter(node: SyntaxNode): LabelPredicate {
    const name = this.textOf(node.getChild('Identifier'));
    const opNode = children(node).find((k) => k.name in COMPARE_OPS);
    const literal = node.getChild('LiteralExpr');
    if (!opNode || !literal) throw unsupported(node, this.text);
    return { kind: 'number', name, op: COMPARE_OPS[opNode.name], value: this.literal(literal) };
  }

  private metric(node: SyntaxNode): MetricQuery {
    const kids = children(node).filter((k) => !isPunctuation(k));
    if (kids.length !== 1) throw unsupported(node, this.text);
    const [kid] = kids;
    switch (kid.name) {
      case 'MetricExpr':
        return this.metric(kid);
      case 'RangeAggregationExpr':
        return this.rangeAggregation(kid);
      case 'VectorAggregationExpr':
        return this.vectorAggregation(kid);
      case 'BinOpExpr':
        return this.binary(kid);
      case 'LiteralExpr':
        return { kind: 'literal', value: this.literal(kid) };
      case 'VectorExpr':
        return { kind: 'vector', value: Number(this.textOf(kid.getChild('Number'))) };
      case 'LabelReplaceExpr':
        return this.labelReplace(kid);
      default:
        throw unsupported(kid, this.text);
    }
  }

  private rangeAggregation(node: SyntaxNode): MetricQuery {
    const opName = node.getChild('RangeOp')?.firstChild?.name ?? '';
    const op = RANGE_OPS[opName];
    if (!op) throw unsupported(node.getChild('RangeOp') ?? node, this.text);
    const logRange = node.getChild('LogRangeExpr');
    if (!logRange) throw unsupported(node, this.text);
    const param = node.getChild('Number');
    if (op === 'quantile_over_time' && !param)
      throw new UnsupportedQuery('quantile_over_time needs a quantile, like quantile_over_time(0.99, ...)');

    const parts = children(logRange).filter((k) => !isPunctuation(k));
    const selector = parts.find((k) => k.name === 'Selector');
    const range = parts.find((k) => k.name === 'Range');
    if (!selector || !range) throw unsupported(logRange, this.text);
    const stages: SyntaxNode[] = [];
    let unwrap: { name: string; conversion?: UnwrapConversion; post: LabelPredicate[] } | undefined;
    let offsetMs = 0;
    for (const part of parts) {
      if (part === selector || part === range) continue;
      if (part.name === 'PipelineExpr') stages.push(...collect(part, 'PipelineStage'));
      else if (part.name === 'OffsetExpr') offsetMs = this.duration(part.getChild('Duration'));
      else if (part.name === 'UnwrapExpr') unwrap = this.unwrap(part);
      else throw unsupported(part, this.text);
    }
    if (UNWRAP_OPS.has(op) && !unwrap) throw new UnsupportedQuery(`invalid aggregation ${op} without unwrap`);
    if (!UNWRAP_OPS.has(op) && !UNWRAP_OPTIONAL.has(op) && unwrap)
      throw new UnsupportedQuery(`invalid aggregation ${op} with unwrap`);
    const grouping = node.getChild('Grouping');
    return {
      kind: 'range',
      op,
      param: param ? Number(this.textOf(param)) : undefined,
      log: this.logQuery(selector, stages),
      rangeMs: this.duration(range.getChild('Duration')),
      offsetMs,
      unwrap: unwrap?.name,
      conversion: unwrap?.conversion,
      postUnwrap: unwrap && unwrap.post.length > 0 ? unwrap.post : undefined,
      grouping: grouping ? this.grouping(grouping) : undefined,
    };
  }

  /** `| unwrap x`, `| unwrap duration(x)`, each maybe followed by label filters (`| __error__=""`), nested. */
  private unwrap(node: SyntaxNode): { name: string; conversion?: UnwrapConversion; post: LabelPredicate[] } {
    const inner = node.getChild('UnwrapExpr');
    if (inner) {
      const base = this.unwrap(inner);
      for (const f of node.getChildren('LabelFilter')) base.post.push(this.labelFilter(f));
      return base;
    }
    const kids = children(node).filter((k) => !isPunctuation(k) && k.name !== 'Pipe' && k.name !== 'Unwrap');
    const conv = kids.find((k) => k.name === 'ConvOp');
    const ids = kids.filter((k) => k.name === 'Identifier');
    if (ids.length !== 1 || kids.length !== (conv ? 2 : 1))
      throw unsupported(
        node,
        this.text,
        'use `| unwrap <label>` or `| unwrap duration|duration_seconds|bytes(<label>)`',
      );
    const conversion = conv ? CONVERSIONS[conv.firstChild?.name ?? ''] : undefined;
    if (conv && !conversion) throw unsupported(conv, this.text);
    return { name: this.textOf(ids[0]), conversion, post: [] };
  }

  /** `label_replace(v, "dst", "replacement", "src", "regex")`, the regex compiled anchored as Prometheus does. */
  private labelReplace(node: SyntaxNode): MetricQuery {
    const expr = node.getChild('MetricExpr');
    const strings = node.getChildren('String').map((s) => this.string(s));
    if (!expr || strings.length !== 4)
      throw unsupported(node, this.text, 'use label_replace(<metric>, "dst", "replacement", "src", "regex")');
    const [dst, replacement, src, pattern] = strings;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(dst))
      throw new UnsupportedQuery(`invalid destination label name in label_replace(): ${dst}`);
    let regex: GoRegex;
    try {
      regex = goRegExp(pattern, true);
    } catch {
      throw new UnsupportedQuery(`invalid regular expression in label_replace(): ${pattern}`);
    }
    return { kind: 'labelReplace', expr: this.metric(expr), dst, replacement, src, regex };
  }

  private vectorAggregation(node: SyntaxNode): MetricQuery {
    const opNode = node.getChild('VectorOp')?.firstChild;
    const op = VECTOR_OPS[opNode?.name ?? ''];
    if (!op) throw unsupported(node.getChild('VectorOp') ?? node, this.text);
    const expr = node.getChild('MetricExpr');
    if (!expr)
      throw new UnsupportedQuery(`${op}(...) needs a metric expression, like ${op}(count_over_time({job="web"}[5m]))`);
    const param = node.getChild('Number');
    if ((op === 'topk' || op === 'bottomk') && !param)
      throw new UnsupportedQuery(`${op} needs a count, like ${op}(5, ...)`);
    if ((op === 'sort' || op === 'sort_desc') && node.getChild('Grouping'))
      throw new UnsupportedQuery(`${op} does not take by or without`);
    const grouping = node.getChild('Grouping');
    return {
      kind: 'aggregate',
      op,
      param: param ? Number(this.textOf(param)) : undefined,
      grouping: grouping ? this.grouping(grouping) : undefined,
      expr: this.metric(expr),
    };
  }

  /**
   * A chain of arithmetic. The grammar nests `a / b - c` as `a / (b - c)`, so the chain is flattened (not across
   * parentheses) and rebuilt with LogQL's precedence: `^` (right-associative), then `* / %`, then `+ -`.
   */
  private binary(node: SyntaxNode): MetricQuery {
    const operands: MetricQuery[] = [];
    const ops: { op: BinaryOp; bool: boolean; matching?: VectorMatching }[] = [];
    this.flatten(node, operands, ops);
    let i = 0;
    const climb = (minPrecedence: number): MetricQuery => {
      let left = operands[i];
      while (i < ops.length && PRECEDENCE[ops[i].op] >= minPrecedence) {
        const { op, bool, matching } = ops[i++];
        const right = climb(op === '^' ? PRECEDENCE[op] : PRECEDENCE[op] + 1);
        if (PRECEDENCE[op] === 3 && !bool && left.kind === 'literal' && right.kind === 'literal') {
          throw new UnsupportedQuery('comparisons between scalars must use BOOL modifier');
        }
        if (PRECEDENCE[op] <= 2 && (left.kind === 'literal' || right.kind === 'literal')) {
          throw new UnsupportedQuery(
            `unexpected literal for ${left.kind === 'literal' ? 'left' : 'right'} side of logical/set binary operation (${op})`,
          );
        }
        left = { kind: 'binary', op, left, right, ...(bool ? { bool } : {}), ...(matching ? { matching } : {}) };
      }
      return left;
    };
    return climb(1);
  }

  private flatten(
    node: SyntaxNode,
    operands: MetricQuery[],
    ops: { op: BinaryOp; bool: boolean; matching?: VectorMatching }[],
  ) {
    const kids = children(node);
    const sides = kids.filter((k) => k.name === 'Expr');
    const opNode = kids.find((k) => k.name in ARITHMETIC || k.name in BINARY_COMPARE || k.name in SET_OPS);
    const modifier = node.getChild('BinOpModifier');
    if (sides.length !== 2 || !opNode) {
      const what = kids.find((k) => k.name !== 'Expr' && k.name !== 'BinOpModifier');
      throw unsupported(
        what ?? node,
        this.text,
        'only arithmetic (+ - * / % ^), comparisons (== != > >= < <=, with or without bool) and and/or/unless between metric expressions are supported',
      );
    }
    const modifiers = modifier ? children(modifier) : [];
    const op = ARITHMETIC[opNode.name] ?? BINARY_COMPARE[opNode.name] ?? SET_OPS[opNode.name];
    const bool = modifiers.some((m) => m.name === 'Bool');
    const matching = this.matching(modifiers);
    if (matching?.group && op in { and: 1, or: 1, unless: 1 })
      throw new UnsupportedQuery(`no grouping allowed for "${op}" operation`);
    if (bool && !(opNode.name in BINARY_COMPARE))
      throw new UnsupportedQuery('bool modifier can only be used on comparison operators');
    sides.forEach((side, n) => {
      if (n === 1) ops.push({ op, bool, matching });
      const metric = side.firstChild?.name === 'MetricExpr' ? side.firstChild : null;
      const chained =
        metric && children(metric).length === 1 && metric.firstChild?.name === 'BinOpExpr' ? metric.firstChild : null;
      if (chained) return this.flatten(chained, operands, ops);
      const q = this.expr(side);
      if (q.kind === 'log')
        throw new UnsupportedQuery('arithmetic needs metric expressions on both sides, not a log query');
      operands.push(q);
    });
  }

  /** `on(...)` / `ignoring(...)`, then maybe `group_left(...)` / `group_right(...)`, of a binary operator. */
  private matching(modifiers: SyntaxNode[]): VectorMatching | undefined {
    const onOrIgnoring = modifiers.find((m) => m.name === 'OnOrIgnoringModifier');
    const group = modifiers.find((m) => m.name === 'GroupLeft' || m.name === 'GroupRight');
    if (!onOrIgnoring && !group) return undefined;
    const names = (n: SyntaxNode | null | undefined) => (n ? collect(n, 'LabelName').map((l) => this.textOf(l)) : []);
    const groupIndex = group ? modifiers.indexOf(group) : -1;
    return {
      on: onOrIgnoring?.getChild('On') !== null && onOrIgnoring !== undefined,
      labels: names(onOrIgnoring?.getChild('GroupingLabels')),
      group: group ? (group.name === 'GroupLeft' ? 'left' : 'right') : undefined,
      include:
        groupIndex >= 0 && modifiers[groupIndex + 1]?.name === 'GroupingLabels' ? names(modifiers[groupIndex + 1]) : [],
    };
  }

  private grouping(node: SyntaxNode): Grouping {
    const labels = node.getChild('Labels');
    return {
      without: node.getChild('Without') !== null,
      // the grammar nests a list (Labels > Labels > Identifier): every Identifier below, in order
      labels: labels ? collect(labels, 'Identifier').map((i) => this.textOf(i)) : [],
    };
  }

  private literal(node: SyntaxNode): number {
    const value = Number(this.textOf(node.getChild('Number')));
    return node.getChild('Sub') ? -value : value;
  }

  private duration(node: SyntaxNode | null): number {
    const text = this.textOf(node);
    let ms = 0;
    const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/gy;
    let last = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      ms += Number(m[1]) * DURATION_MS[m[2]];
      last = re.lastIndex;
    }
    if (last !== text.length || ms <= 0) throw new UnsupportedQuery(`bad duration "${text}"`);
    // Ranges and offsets are whole milliseconds here, and must stay within what a timestamp can hold.
    if (!Number.isSafeInteger(ms) || ms > MAX_DURATION_MS) {
      throw new UnsupportedQuery(
        `bad duration "${text}": use whole milliseconds, up to ${MAX_DURATION_MS / DURATION_MS.y} years`,
      );
    }
    return ms;
  }

  private string(node: SyntaxNode): string {
    const raw = this.textOf(node);
    if (raw.startsWith('`')) return raw.slice(1, -1);
    try {
      return JSON.parse(raw) as string;
    } catch {
      throw new UnsupportedQuery(`bad string ${raw}: use \\\\ for a backslash, or a \`raw string\``);
    }
  }

  private textOf(node: SyntaxNode | null): string {
    if (!node) throw new UnsupportedQuery('parse error: incomplete query');
    return this.text.slice(node.from, node.to);
  }
}

/**
 * A path of Loki's JSON expression parser (`pkg/logql/log/jsonexpr`): `a.b[0]`, `["a"]["b c"]`, or a mix; a key is
 * any run of characters but `.`, `[`, `]` and spaces.
 */
export function jsonPath(text: string): (string | number)[] {
  const path: (string | number)[] = [];
  const re = /(?:^|\.)([^.[\]\s"]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/y;
  let at = 0;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m || m[0] === '') throw new UnsupportedQuery(`parse error: invalid JSON expression "${text}"`);
    path.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : (JSON.parse(`"${m[3]}"`) as string)));
    at = re.lastIndex;
  }
  if (path.length === 0) throw new UnsupportedQuery(`parse error: empty JSON expression`);
  return path;
}

function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
}

/** Nodes named `name` below `node`, in order, not descending into a match. */
function collect(node: SyntaxNode, name: string): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (const c of children(node)) {
    if (c.name === name) out.push(c);
    else out.push(...collect(c, name));
  }
  return out;
}

function only(node: SyntaxNode, text: string): SyntaxNode {
  const kids = children(node).filter((k) => !isPunctuation(k));
  if (kids.length !== 1) throw new UnsupportedQuery(`parse error: "${text.trim()}" is not a single LogQL expression`);
  return kids[0];
}

/** Anonymous tokens (parentheses, commas) and comments. */
const isPunctuation = (node: SyntaxNode) =>
  node.type.name === '' || node.name === 'LineComment' || node.name === '(' || node.name === ')' || node.name === ',';

const READABLE: Record<string, string> = {
  LineFormatExpr: 'line_format',
  LabelFormatExpr: 'label_format',
  DecolorizeExpr: 'decolorize',
  DropLabelsExpr: 'drop',
  KeepLabelsExpr: 'keep',
  LabelReplaceExpr: 'label_replace',
  LogfmtExpressionParser: 'logfmt with flags',
  IpLabelFilter: 'ip() label filter',
  PatternExpr: 'pattern parser',
  RegexpExpr: 'regexp parser',
  UnpackExpr: 'unpack',
  UnitFilter: 'duration/bytes label filter',
};

function unsupported(node: SyntaxNode, text: string, hint?: string): UnsupportedQuery {
  const fragment = text.slice(node.from, node.to).trim();
  const what = READABLE[node.name] ?? `\`${fragment.length > 60 ? `${fragment.slice(0, 60)}...` : fragment}\``;
  return new UnsupportedQuery(`unsupported LogQL: ${what}${hint ? ` (${hint})` : ''}`);
}

function compile(pattern: string, anchored: boolean): GoRegex {
  try {
    return goRegExp(pattern, anchored);
  } catch {
    throw new UnsupportedQuery(`bad regular expression "${pattern}"`);
  }
}

/** A log query (a stream selector, maybe with a pipeline), as metadata endpoints take; a metric query is refused. */
export function parseLogQuery(text: string): LogQuery {
  const q = parseQuery(text);
  if (q.kind !== 'log') throw new UnsupportedQuery(`expected a stream selector like {job="web"}, got a metric query`);
  return q;
}
