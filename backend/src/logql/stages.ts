import { ANOMALY_FIELDS } from '@anomalog/contract';
import { matchesSelector, type LabelMatcher } from './selector.js';
import { passesLineFilters } from './line-filter.js';
import { extractPattern, matchesPattern, type LinePattern } from './pattern.js';

/** ANSI escape sequences (colours, cursor moves), as Loki's decolorize removes them. */
const ANSI = /\x1b\[[0-9;?]*[ -\/]*[@-~]/g;
import { TemplateError, type Template } from './template.js';
import { goDurationSeconds, parseBytes } from './units.js';
import type { Labels } from '../stream.js';
import type { CompareOp, LabelFormatOp, LabelPredicate, Stage } from './ast.js';

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
      case 'parser': {
        const parsed = stage.extract
          ? extractLabels(out.line, stage.format, stage.extract)
          : stage.format === 'json'
            ? parseJson(out.line)
            : parseLogfmt(out.line);
        out = { ...out, parsed: { ...out.parsed, ...parsed } };
        break;
      }
      case 'labelFilter':
        if (!holds(stage.filter, out)) return undefined;
        break;
      case 'drop': {
        const drop = (labels: Labels) => dropLabels(labels, stage.names, stage.matchers);
        out = { ...out, stream: drop(out.stream), parsed: drop(out.parsed), fields: drop(out.fields) };
        break;
      }
      case 'keep': {
        const keep = (labels: Labels) => keepLabels(labels, stage.names, stage.matchers);
        out = { ...out, stream: keep(out.stream), parsed: keep(out.parsed), fields: keep(out.fields) };
        break;
      }
      case 'pattern': {
        const hit = stage.patterns.some((p) => patternHolds(p, out));
        if (hit === stage.negate) return undefined;
        break;
      }
      case 'lineFormat': {
        const line = runTemplate(stage.template, out);
        out = 'error' in line ? withError(out, line.error) : { ...out, line: line.value };
        break;
      }
      case 'labelFormat':
        out = labelFormat(out, stage.ops);
        break;
      case 'patternParser':
        out = { ...out, parsed: { ...out.parsed, ...extractPattern(stage.pattern, out.line) } };
        break;
      case 'unpack':
        out = unpack(out);
        break;
      case 'decolorize':
        out = { ...out, line: out.line.replace(ANSI, '') };
        break;
    }
  }
  return out;
}

/**
 * A pattern line filter holds when the line matches the pattern (Loki's semantics), or when the pattern is the line's
 * Drain template as `/patterns` serves it (Drain templates cover the message, not the whole line: this is what
 * makes Drilldown's include / exclude of a pattern select the lines it counted).
 */
function patternHolds(p: LinePattern, row: Row): boolean {
  if (matchesPattern(p, row.line)) return true;
  const template = row.fields[ANOMALY_FIELDS.template];
  return template !== undefined && template.replaceAll('<*>', '<_>') === p.text;
}

/** Every label of a row as templates and filters see it: parsed over anomaly fields over stream labels. */
export function allLabels(row: Row): Labels {
  return { ...row.stream, ...row.fields, ...row.parsed };
}

function runTemplate(template: Template, row: Row): { value: string } | { error: string } {
  try {
    return { value: template.run({ labels: allLabels(row), line: row.line, ts: row.ts }) };
  } catch (err) {
    if (err instanceof TemplateError) return { error: err.message };
    throw err;
  }
}

function withError(row: Row, details: string, error = 'TemplateFormatErr'): Row {
  return row.parsed.__error__ !== undefined
    ? row
    : { ...row, parsed: { ...row.parsed, __error__: error, __error_details__: details } };
}

/**
 * `| label_format` (Loki `LabelsFormatter.Process`): templates read the labels as they were before the stage and
 * their results are parsed labels; a rename `dst=src` moves the value to `dst` in the category `src` was in (stream
 * label, structured metadata or parsed) and removes `src`; a rename of a missing label does nothing.
 */
function labelFormat(row: Row, ops: readonly LabelFormatOp[]): Row {
  const before = allLabels(row);
  let stream = row.stream;
  let fields = row.fields;
  let parsed = row.parsed;
  let error: string | undefined;
  const remove = (name: string) => {
    if (name in stream) stream = without(stream, [name]);
    if (name in fields) fields = without(fields, [name]);
    if (name in parsed) parsed = without(parsed, [name]);
  };
  for (const op of ops) {
    if ('rename' in op) {
      const category =
        op.rename in parsed ? 'parsed' : op.rename in fields ? 'fields' : op.rename in stream ? 'stream' : undefined;
      if (!category) continue;
      const value =
        category === 'parsed' ? parsed[op.rename] : category === 'fields' ? fields[op.rename] : stream[op.rename];
      remove(op.rename);
      remove(op.dst);
      if (category === 'parsed') parsed = { ...parsed, [op.dst]: value };
      else if (category === 'fields') fields = { ...fields, [op.dst]: value };
      else stream = { ...stream, [op.dst]: value };
      continue;
    }
    const out = runTemplate(op.template, { ...row, stream: {}, fields: {}, parsed: before });
    if ('error' in out) {
      error ??= out.error;
      continue;
    }
    remove(op.dst);
    parsed = { ...parsed, [op.dst]: out.value };
  }
  const next = { ...row, stream, fields, parsed };
  return error === undefined ? next : withError(next, error);
}

function dropLabels(labels: Labels, names: readonly string[], matchers: readonly LabelMatcher[] = []): Labels {
  const drops = (k: string, v: string) =>
    names.includes(k) || matchers.some((m) => m.name === k && matchesSelector([m], { [k]: v }));
  return Object.entries(labels).some(([k, v]) => drops(k, v))
    ? Object.fromEntries(Object.entries(labels).filter(([k, v]) => !drops(k, v)))
    : labels;
}

/** Loki's keep (`pkg/logql/log/keep_labels.go`, 3.x): the pipeline error labels always stay. */
const SPECIAL_LABELS = new Set(['__error__', '__error_details__', '__preserve_error__']);

function keepLabels(labels: Labels, names: readonly string[], matchers: readonly LabelMatcher[]): Labels {
  const keeps = (k: string, v: string) =>
    SPECIAL_LABELS.has(k) ||
    names.includes(k) ||
    matchers.some((m) => m.name === k && matchesSelector([m], { [k]: v }));
  return Object.entries(labels).every(([k, v]) => keeps(k, v))
    ? labels
    : Object.fromEntries(Object.entries(labels).filter(([k, v]) => keeps(k, v)));
}

/** Whether a row passes a label predicate (exported for the filters after `| unwrap`). */
export function holdsFor(p: LabelPredicate, row: Row): boolean {
  return holds(p, row);
}

function without(labels: Labels, names: readonly string[]): Labels {
  return names.some((n) => n in labels)
    ? Object.fromEntries(Object.entries(labels).filter(([k]) => !names.includes(k)))
    : labels;
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
    case 'unit': {
      const raw = labelOf(row, p.name);
      const value =
        raw === undefined || raw === '' ? NaN : p.unit === 'duration' ? goDurationSeconds(raw) : parseBytes(raw);
      return !Number.isNaN(value) && compare(value, p.op, p.value);
    }
  }
}

export function compare(a: number, op: CompareOp, b: number): boolean {
  switch (op) {
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '==':
      return a === b;
    case '!=':
      return a !== b;
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

/**
 * Loki's `| unpack` (`UnpackParser`): a JSON object line's string values become parsed labels, and `_entry`, when
 * there, becomes the line; a line that is not a JSON object gets `__error__`.
 */
function unpack(row: Row): Row {
  let doc: unknown;
  try {
    doc = JSON.parse(row.line);
  } catch {
    doc = undefined;
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    return { ...row, parsed: { ...row.parsed, __error__: 'JSONParserErr' } };
  const parsed = { ...row.parsed };
  let line = row.line;
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    if (typeof value !== 'string') continue;
    if (key === '_entry') line = value;
    else parsed[sanitize(key)] = value;
  }
  return { ...row, line, parsed };
}

/**
 * `| json a="b.c[0]"` / `| logfmt a="b"` (Loki's JSONExpressionParser, LogfmtExpressionParser): only the named labels;
 * an object or array is its JSON text, a path that is not there an empty value; a line that is not JSON gets
 * `__error__`.
 */
export function extractLabels(
  line: string,
  format: 'json' | 'logfmt',
  extract: readonly { name: string; path: (string | number)[] }[],
): Labels {
  const out: Labels = {};
  if (format === 'logfmt') {
    const all = parseLogfmt(line);
    for (const { name, path } of extract) out[name] = Object.hasOwn(all, String(path[0])) ? all[String(path[0])] : '';
    return out;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch {
    return { __error__: 'JSONParserErr' };
  }
  for (const { name, path } of extract) {
    let node: unknown = doc;
    for (const step of path) {
      if (typeof step === 'number' ? Array.isArray(node) : node && typeof node === 'object' && !Array.isArray(node)) {
        node = Object.hasOwn(node as object, step) ? (node as Record<string | number, unknown>)[step] : undefined;
      } else node = undefined;
      if (node === undefined) break;
    }
    out[name] =
      node === undefined || node === null ? '' : typeof node === 'object' ? JSON.stringify(node) : String(node);
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
