import { parser } from '@grafana/lezer-logql';
import type { SyntaxNode } from '@lezer/common';
import type { LabelMatcher, MatchOp } from './selector.js';
import { goRegExp, lineFilter, type GoRegex, type LineFilter } from './line-filter.js';
import {
  isAnomalyField,
  UnsupportedQuery,
  type ArithmeticOp,
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
};
const UNWRAP_OPS = new Set<RangeOp>(['sum_over_time', 'avg_over_time', 'min_over_time', 'max_over_time', 'quantile_over_time']);
const VECTOR_OPS: Record<string, VectorOp> = { Sum: 'sum', Avg: 'avg', Min: 'min', Max: 'max', Count: 'count', Topk: 'topk', Bottomk: 'bottomk' };
const ARITHMETIC: Record<string, ArithmeticOp> = { Add: '+', Sub: '-', Mul: '*', Div: '/', Mod: '%', Pow: '^' };
const PRECEDENCE: Record<ArithmeticOp, number> = { '+': 1, '-': 1, '*': 2, '/': 2, '%': 2, '^': 3 };
const MATCH_OPS: Record<string, MatchOp> = { Eq: '=', Neq: '!=', Re: '=~', Nre: '!~' };
const COMPARE_OPS: Record<string, CompareOp> = { Gtr: '>', Gte: '>=', Lss: '<', Lte: '<=', Eql: '==', Eq: '==', Neq: '!=' };
const FILTER_OPS: Record<string, LineFilter['op']> = { PipeExact: '|=', Neq: '!=', PipeMatch: '|~', Nre: '!~' };
const DURATION_MS: Record<string, number> = { ms: 1, s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5, y: 31536e6 };
const MAX_DURATION_MS = 100 * 31536e6;

/** Parses a LogQL query into the supported subset, or throws UnsupportedQuery saying what is wrong. */
export function parseQuery(text: string): Query {
  if (!text.trim()) throw new UnsupportedQuery('parse error: empty query');
  const tree = parser.parse(text);
  tree.iterate({
    enter(node) {
      if (node.type.isError) {
        const at = text.slice(node.from, node.from + 20);
        throw new UnsupportedQuery(`parse error at position ${node.from + 1}${at ? ` near "${at}"` : ''}: not valid LogQL`);
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
    const fieldFilters: Stage[] = all.filter((m) => isAnomalyField(m.name)).map((matcher) => ({ kind: 'labelFilter', filter: { kind: 'string', matcher } }));
    if (!matchers.some((m) => (m.op === '=' && m.value !== '') || (m.op === '=~' && !m.regex!.test('')))) {
      throw new UnsupportedQuery('queries require at least one regexp or equality matcher that does not have an empty-compatible value, like {job="web"}');
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
        return collect(kid, 'LineFilter').map((f) => ({ kind: 'lineFilter', filter: this.lineFilter(f) }));
      case 'LabelParser':
      case 'LogfmtParser': {
        const format = children(kid).map((k) => k.name);
        if (format.length === 1 && format[0] === 'Json') return [{ kind: 'parser', format: 'json' }];
        if (format.length === 1 && format[0] === 'Logfmt') return [{ kind: 'parser', format: 'logfmt' }];
        throw unsupported(kid, this.text, 'only `| json` and `| logfmt` (without parameters) are supported parsers');
      }
      case 'LabelFilter':
        return [{ kind: 'labelFilter', filter: this.labelFilter(kid) }];
      case 'DropLabelsExpr': {
        const labels = collect(kid, 'DropLabel');
        if (labels.some((l) => children(l).length !== 1 || l.firstChild?.name !== 'Identifier')) {
          throw unsupported(kid, this.text, 'only `| drop name, ...` without matchers is supported');
        }
        return [{ kind: 'drop', names: labels.map((l) => this.textOf(l.firstChild)) }];
      }
      default:
        throw unsupported(kid, this.text);
    }
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
      throw unsupported(kid, this.text);
    }
    const filters = kids.filter((k) => k.name === 'LabelFilter');
    if (filters.length !== 2) throw unsupported(node, this.text);
    const kind = kids.some((k) => k.name === 'Or') ? 'or' : 'and';
    return { kind, left: this.labelFilter(filters[0]), right: this.labelFilter(filters[1]) };
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
    if (op === 'quantile_over_time' && !param) throw new UnsupportedQuery('quantile_over_time needs a quantile, like quantile_over_time(0.99, ...)');

    const parts = children(logRange).filter((k) => !isPunctuation(k));
    const selector = parts.find((k) => k.name === 'Selector');
    const range = parts.find((k) => k.name === 'Range');
    if (!selector || !range) throw unsupported(logRange, this.text);
    const stages: SyntaxNode[] = [];
    let unwrap: string | undefined;
    let offsetMs = 0;
    for (const part of parts) {
      if (part === selector || part === range) continue;
      if (part.name === 'PipelineExpr') stages.push(...collect(part, 'PipelineStage'));
      else if (part.name === 'OffsetExpr') offsetMs = this.duration(part.getChild('Duration'));
      else if (part.name === 'UnwrapExpr') unwrap = this.unwrap(part);
      else throw unsupported(part, this.text);
    }
    if (UNWRAP_OPS.has(op) && !unwrap) throw new UnsupportedQuery(`${op} needs \`| unwrap <label>\``);
    if (!UNWRAP_OPS.has(op) && unwrap) throw new UnsupportedQuery(`${op} does not take \`| unwrap\``);
    const grouping = node.getChild('Grouping');
    return {
      kind: 'range',
      op,
      param: param ? Number(this.textOf(param)) : undefined,
      log: this.logQuery(selector, stages),
      rangeMs: this.duration(range.getChild('Duration')),
      offsetMs,
      unwrap,
      grouping: grouping ? this.grouping(grouping) : undefined,
    };
  }

  private unwrap(node: SyntaxNode): string {
    const kids = children(node).filter((k) => !isPunctuation(k) && k.name !== 'Pipe' && k.name !== 'Unwrap');
    if (kids.length !== 1 || kids[0].name !== 'Identifier') {
      throw unsupported(node, this.text, 'only a plain `| unwrap <label>` is supported (no conversion functions or filters after it)');
    }
    return this.textOf(kids[0]);
  }

  private vectorAggregation(node: SyntaxNode): MetricQuery {
    const opNode = node.getChild('VectorOp')?.firstChild;
    const op = VECTOR_OPS[opNode?.name ?? ''];
    if (!op) throw unsupported(node.getChild('VectorOp') ?? node, this.text);
    const expr = node.getChild('MetricExpr');
    if (!expr) throw new UnsupportedQuery(`${op}(...) needs a metric expression, like ${op}(count_over_time({job="web"}[5m]))`);
    const param = node.getChild('Number');
    if ((op === 'topk' || op === 'bottomk') && !param) throw new UnsupportedQuery(`${op} needs a count, like ${op}(5, ...)`);
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
    const ops: ArithmeticOp[] = [];
    this.flatten(node, operands, ops);
    let i = 0;
    const climb = (minPrecedence: number): MetricQuery => {
      let left = operands[i];
      while (i < ops.length && PRECEDENCE[ops[i]] >= minPrecedence) {
        const op = ops[i++];
        const right = climb(op === '^' ? PRECEDENCE[op] : PRECEDENCE[op] + 1);
        left = { kind: 'binary', op, left, right };
      }
      return left;
    };
    return climb(1);
  }

  private flatten(node: SyntaxNode, operands: MetricQuery[], ops: ArithmeticOp[]) {
    const kids = children(node);
    const sides = kids.filter((k) => k.name === 'Expr');
    const opNode = kids.find((k) => k.name in ARITHMETIC);
    const modifier = node.getChild('BinOpModifier');
    if (sides.length !== 2 || !opNode) {
      const what = kids.find((k) => k.name !== 'Expr' && k.name !== 'BinOpModifier');
      throw unsupported(what ?? node, this.text, 'only arithmetic (+ - * / % ^) between metric expressions is supported');
    }
    if (modifier && modifier.from !== modifier.to) throw unsupported(modifier, this.text, 'bool, on() and ignoring() are not supported');
    sides.forEach((side, n) => {
      if (n === 1) ops.push(ARITHMETIC[opNode.name]);
      const metric = side.firstChild?.name === 'MetricExpr' ? side.firstChild : null;
      const chained = metric && children(metric).length === 1 && metric.firstChild?.name === 'BinOpExpr' ? metric.firstChild : null;
      if (chained) return this.flatten(chained, operands, ops);
      const q = this.expr(side);
      if (q.kind === 'log') throw new UnsupportedQuery('arithmetic needs metric expressions on both sides, not a log query');
      operands.push(q);
    });
  }

  private grouping(node: SyntaxNode): Grouping {
    const labels = node.getChild('Labels');
    return {
      without: node.getChild('Without') !== null,
      labels: labels ? labels.getChildren('Identifier').map((i) => this.textOf(i)) : [],
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
      throw new UnsupportedQuery(`bad duration "${text}": use whole milliseconds, up to ${MAX_DURATION_MS / DURATION_MS.y} years`);
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
const isPunctuation = (node: SyntaxNode) => node.type.name === '' || node.name === 'LineComment' || node.name === '(' || node.name === ')' || node.name === ',';

const READABLE: Record<string, string> = {
  LineFormatExpr: 'line_format',
  LabelFormatExpr: 'label_format',
  DecolorizeExpr: 'decolorize',
  DropLabelsExpr: 'drop',
  KeepLabelsExpr: 'keep',
  LabelReplaceExpr: 'label_replace',
  JsonExpressionParser: 'json with parameters',
  LogfmtExpressionParser: 'logfmt with parameters',
  IpLabelFilter: 'ip() label filter',
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
