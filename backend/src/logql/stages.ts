import { matchesSelector } from './selector.js';
import { passesLineFilters } from './line-filter.js';
import type { Labels } from '../stream.js';
import type { CompareOp, LabelPredicate, Stage } from './ast.js';

/** One scored line on its way through a LogQL pipeline. `ts` is nanoseconds. */
export interface Row {
  stream: Labels;
  ts: bigint;
  line: string;
  /** anomaly_score, anomaly_severity, ...: structured metadata on the Loki API. */
  fields: Labels;
  /** Labels extracted by `| json` / `| logfmt`. */
  parsed: Labels;
}

/** A label as a filter sees it: parsed labels first, then the anomaly fields, then the stream labels. */
export function labelOf(row: Row, name: string): string | undefined {
  // Own properties only: `hasOwnProperty` or `__proto__` are label names like any other, not Object's members.
  return own(row.parsed, name) ?? own(row.fields, name) ?? own(row.stream, name);
}

function own(labels: Labels, name: string): string | undefined {
  return Object.hasOwn(labels, name) ? labels[name] : undefined;
}

/** Runs the stages after the pushed-down line filters; undefined when the row is filtered out. */
export function applyStages(row: Row, stages: readonly Stage[]): Row | undefined {
  let out = row;
  for (const stage of stages) {
    switch (stage.kind) {
      case 'lineFilter':
        if (!passesLineFilters(out.line, [stage.filter])) return undefined;
        break;
      case 'parser':
        out = { ...out, parsed: { ...out.parsed, ...(stage.format === 'json' ? parseJson(out.line) : parseLogfmt(out.line)) } };
        break;
      case 'labelFilter':
        if (!holds(stage.filter, out)) return undefined;
        break;
      case 'drop':
        out = { ...out, stream: without(out.stream, stage.names), parsed: without(out.parsed, stage.names), fields: without(out.fields, stage.names) };
        break;
    }
  }
  return out;
}

function without(labels: Labels, names: readonly string[]): Labels {
  return names.some((n) => n in labels) ? Object.fromEntries(Object.entries(labels).filter(([k]) => !names.includes(k))) : labels;
}

function holds(p: LabelPredicate, row: Row): boolean {
  switch (p.kind) {
    case 'and':
      return holds(p.left, row) && holds(p.right, row);
    case 'or':
      return holds(p.left, row) || holds(p.right, row);
    case 'string':
      return matchesSelector([p.matcher], { [p.matcher.name]: labelOf(row, p.matcher.name) ?? '' });
    case 'number': {
      const raw = labelOf(row, p.name);
      const value = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
      return !Number.isNaN(value) && compare(value, p.op, p.value);
    }
  }
}

function compare(a: number, op: CompareOp, b: number): boolean {
  switch (op) {
    case '>': return a > b;
    case '>=': return a >= b;
    case '<': return a < b;
    case '<=': return a <= b;
    case '==': return a === b;
    case '!=': return a !== b;
  }
}

const sanitize = (key: string) => key.replace(/[^a-zA-Z0-9_]/g, '_');

/** Loki's `| json`: nested keys joined with `_`, arrays skipped; a line that is not a JSON object gets `__error__`. */
export function parseJson(line: string): Labels {
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch {
    return { __error__: 'JSONParserErr' };
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return { __error__: 'JSONParserErr' };
  const out: Labels = {};
  // Iterative, so a line nested thousands deep cannot overflow the stack (and fail every query over its range).
  const todo: [Record<string, unknown>, string][] = [[doc as Record<string, unknown>, '']];
  while (todo.length > 0) {
    const [node, prefix] = todo.pop()!;
    const nested: [Record<string, unknown>, string][] = [];
    for (const [key, value] of Object.entries(node)) {
      const name = prefix + sanitize(key);
      if (value && typeof value === 'object') {
        if (!Array.isArray(value)) nested.push([value as Record<string, unknown>, `${name}_`]);
      } else if (value !== null && value !== undefined) {
        out[name] = String(value);
      }
    }
    todo.push(...nested.reverse());
  }
  return out;
}

/** Loki's `| logfmt`: `key=value`, `key="quoted value"`, a bare `key` is an empty value. */
export function parseLogfmt(line: string): Labels {
  const out: Labels = {};
  const re = /([^\s=]+)(?:=("(?:[^"\\]|\\.)*"|[^\s]*))?/g;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    const raw = m[2] ?? '';
    let value = raw;
    if (raw.startsWith('"')) {
      try {
        value = JSON.parse(raw) as string;
      } catch {
        value = raw.slice(1, -1);
      }
    }
    out[sanitize(m[1])] = value;
  }
  return out;
}
