import { ANOMALY_FIELD_NAMES } from '@anomalog/contract';
import type { Row } from '../../logql/stages.js';

/** One entry of `detected_fields` (Loki 3.x `/loki/api/v1/detected_fields`, which Drilldown's fields tab reads). */
export interface DetectedField {
  label: string;
  type: 'int' | 'float' | 'boolean' | 'duration' | 'bytes' | 'string';
  cardinality: number;
  /** null for structured metadata; `["json"]` / `["logfmt"]` for fields parsed from the line. */
  parsers: string[] | null;
  jsonPath: string[];
}

/**
 * The fields of some lines, as Loki detects them: structured metadata (the anomaly fields, `detected_level`,
 * `level`), and the fields a JSON line or a logfmt line holds (parsed as Loki would: JSON when the line is a JSON
 * object, else logfmt when the whole line is `key=value` pairs). Types by Loki's `determineType`: int, float,
 * boolean, duration, bytes, else string (from the first value seen).
 */
export function detectFields(rows: readonly Row[]): DetectedField[] {
  const fields = new Map<
    string,
    { type: DetectedField['type']; values: Set<string>; parsers: Set<string> | null; jsonPath: string[] }
  >();
  const add = (label: string, value: string, parser: string | null, jsonPath: string[] = []) => {
    if (value === '') return;
    let f = fields.get(label);
    if (!f)
      fields.set(
        label,
        (f = { type: determineType(value), values: new Set(), parsers: parser ? new Set() : null, jsonPath }),
      );
    f.values.add(value);
    if (parser) (f.parsers ??= new Set()).add(parser);
  };
  for (const row of rows) {
    for (const [k, v] of Object.entries(row.fields)) add(k, v, null);
    const line = row.line.trimStart();
    if (line.startsWith('{')) {
      for (const [name, { value, path }] of jsonFields(line)) if (!(name in row.stream)) add(name, value, 'json', path);
    } else {
      for (const [k, v] of strictLogfmt(row.line)) if (!(k in row.stream)) add(k, v, 'logfmt');
    }
  }
  const first = new Set<string>(ANOMALY_FIELD_NAMES);
  return [...fields]
    .sort(([a], [b]) => (first.has(a) === first.has(b) ? (a < b ? -1 : a > b ? 1 : 0) : first.has(a) ? -1 : 1))
    .map(([label, f]) => ({
      label,
      type: f.type,
      cardinality: f.values.size,
      parsers: f.parsers ? [...f.parsers] : null,
      jsonPath: f.jsonPath,
    }));
}

/** The fields a line holds as detected_fields finds them: a JSON object's leaves, or a logfmt line's pairs. */
export function lineFields(line: string): Map<string, string> {
  if (line.trimStart().startsWith('{')) return new Map([...jsonFields(line.trimStart())].map(([k, v]) => [k, v.value]));
  return strictLogfmt(line);
}

/** Loki's determineType (pkg/querier/queryrange/detected.go): the first of these parses that accepts the value. */
export function determineType(value: string): DetectedField['type'] {
  if (/^[+-]?\d+$/.test(value) && Number.isSafeInteger(Number(value))) return 'int';
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value) || /^[+-]?(inf|infinity|nan)$/i.test(value)) return 'float';
  if (/^(1|t|T|TRUE|true|True|0|f|F|FALSE|false|False)$/.test(value)) return 'boolean';
  if (/^[+-]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$/.test(value)) return 'duration';
  if (/^\d+(\.\d+)?\s*([kKmMgGtTpPeE]i?[bB]?|[bB])$/.test(value)) return 'bytes';
  return 'string';
}

/** Leaf values of a JSON object line, named as `| json` names them (keys joined with `_`), with their paths. */
function jsonFields(line: string): Map<string, { value: string; path: string[] }> {
  const out = new Map<string, { value: string; path: string[] }>();
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch {
    return out;
  }
  const walk = (node: Record<string, unknown>, prefix: string, path: string[]) => {
    for (const [key, value] of Object.entries(node)) {
      const name = prefix + key.replace(/[^a-zA-Z0-9_]/g, '_');
      if (value && typeof value === 'object') {
        if (!Array.isArray(value) && path.length < 16)
          walk(value as Record<string, unknown>, `${name}_`, [...path, key]);
      } else if (value !== null && value !== undefined) out.set(name, { value: String(value), path: [...path, key] });
    }
  };
  if (doc && typeof doc === 'object' && !Array.isArray(doc)) walk(doc as Record<string, unknown>, '', []);
  return out;
}

/**
 * The `key=value` pairs of a line that is logfmt throughout (go-logfmt fails on a quote where a key should be, as in
 * an access log's request); nothing otherwise.
 */
function strictLogfmt(line: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /\s*([^\s="]+)(?:=("(?:[^"\\]|\\.)*"|[^\s"]*))?\s*/y;
  let at = 0;
  while (at < line.length) {
    re.lastIndex = at;
    const m = re.exec(line);
    if (!m || m[0] === '') return new Map();
    at = re.lastIndex;
    const raw = m[2];
    if (raw === undefined || raw === '') continue;
    let value = raw;
    if (raw.startsWith('"')) {
      try {
        value = JSON.parse(raw) as string;
      } catch {
        return new Map();
      }
    }
    out.set(m[1].replace(/[^a-zA-Z0-9_]/g, '_'), value);
  }
  return out;
}
