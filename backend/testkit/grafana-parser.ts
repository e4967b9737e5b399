/**
 * A port of the semantics of Grafana's Loki/Prometheus response parser, `pkg/promlib/converter/prom.go`
 * (grafana/grafana main, 2025: `ReadPrometheusStyleResult`, `readPrometheusData`, `readResult`,
 * `readMatrixOrVectorMulti`, `readTimeValuePair`, `readStream`, `readCategorizedStream`, `timeFromFloat`,
 * `timeFromLokiString`), which Grafana's Loki data source (`pkg/tsdb/loki`) runs on every query answer.
 *
 * What it enforces, as the Go iterator does:
 * - `status: "error"` becomes the error `<errorType>: <error>`;
 * - inside `data`, keys are read in order: `encodingFlags` only counts when it comes before `result` (a `result`
 *   before `resultType` is kept and parsed when `resultType` arrives, with the flags seen so far);
 * - `streams` values are `["<ns>", "<line>"]`, or with `categorize-labels` `["<ns>", "<line>", {parsed?,
 *   structuredMetadata?}]` (any other key in that object, or a non-string label value, is an error);
 * - `matrix`/`vector`/`scalar` samples are `[<number>, "<string>"]` (ReadFloat64 then ReadString), the value parsed
 *   with Go's ParseFloat, the time converted by `timeFromFloat`: `time.UnixMilli(int64(f * 1000))`.
 *
 * The JSON is parsed with JSON.parse, whose objects keep key order, so the order checks see what the iterator sees.
 */

export class GrafanaParseError extends Error {
  override name = 'GrafanaParseError';
}

export interface SampleFrame {
  labels: Record<string, string>;
  /** Milliseconds, as Grafana's time field holds them after timeFromFloat. */
  times: number[];
  values: number[];
}

export interface LogRow {
  /** Every label merged, as Grafana's `labels` field: indexed, then structured metadata, then parsed. */
  labels: Record<string, string>;
  /** I (indexed), S (structured metadata), P (parsed): Grafana's `__labelTypes`; empty without categorize-labels. */
  types: Record<string, 'I' | 'S' | 'P'>;
  /** Nanoseconds, as the TS field (a string). */
  ts: string;
  /** Milliseconds of timeFromLokiString. */
  timeMs: number;
  line: string;
}

export type ParsedResponse = (
  | { kind: 'error'; error: string }
  | { kind: 'matrix' | 'vector' | 'scalar'; frames: SampleFrame[] }
  | { kind: 'streams'; categorized: boolean; rows: LogRow[] }
) & {
  /** The root `warnings` (and `infos`), which Grafana attaches to the frames as notices. */
  warnings?: string[];
};

type Json = unknown;

const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses a query_range / query answer body as Grafana does; throws GrafanaParseError where Grafana's parse fails. */
export function parseLokiResponse(body: string): ParsedResponse {
  let doc: Json;
  try {
    doc = JSON.parse(body);
  } catch (err) {
    throw new GrafanaParseError(`not JSON: ${(err as Error).message}`);
  }
  if (!isObject(doc)) throw new GrafanaParseError('expected an object');
  let status = 'unknown';
  let errorType = '';
  let error = '';
  let result: ParsedResponse | undefined;
  const warnings: string[] = [];
  for (const [key, value] of Object.entries(doc)) {
    switch (key) {
      case 'status':
        status = str(value, 'status');
        break;
      case 'data':
        result = readData(value);
        break;
      case 'error':
        error = str(value, 'error');
        break;
      case 'errorType':
        errorType = str(value, 'errorType');
        break;
      case 'warnings':
      case 'infos':
        // readAnnotations: an array of strings (other elements skipped); anything else is no notice
        if (Array.isArray(value)) for (const w of value) if (typeof w === 'string') warnings.push(w);
        break;
    }
  }
  if (status === 'error') return { kind: 'error', error: `${errorType}: ${error}` };
  if (!result) throw new GrafanaParseError('no data');
  return warnings.length > 0 ? { ...result, warnings } : result;
}

function readData(data: Json): ParsedResponse {
  if (!isObject(data)) throw new GrafanaParseError('expected object type');
  let resultType = '';
  let found = false;
  let saved: Json;
  let hasSaved = false;
  const flags: string[] = [];
  let out: ParsedResponse | undefined;
  for (const [key, value] of Object.entries(data)) {
    switch (key) {
      case 'encodingFlags':
        if (!Array.isArray(value)) throw new GrafanaParseError('encodingFlags: expected an array');
        for (const f of value) flags.push(str(f, 'encodingFlag'));
        break;
      case 'resultType':
        resultType = str(value, 'resultType');
        found = true;
        if (hasSaved) out = readResult(resultType, saved, flags);
        break;
      case 'result':
        if (found) out = readResult(resultType, value, flags);
        else [saved, hasSaved] = [value, true];
        break;
    }
  }
  if (!found) throw new GrafanaParseError('no resultType found');
  if (!out) throw new GrafanaParseError('no result');
  return out;
}

function readResult(resultType: string, result: Json, flags: readonly string[]): ParsedResponse {
  switch (resultType) {
    case 'matrix':
    case 'vector':
      return { kind: resultType, frames: arr(result, 'result').map((s) => readSeries(s)) };
    case 'scalar': {
      const [t, v] = readTimeValuePair(result);
      return { kind: 'scalar', frames: [{ labels: {}, times: [t], values: [v] }] };
    }
    case 'streams':
      return flags.includes('categorize-labels')
        ? { kind: 'streams', categorized: true, rows: readStreams(result, true) }
        : { kind: 'streams', categorized: false, rows: readStreams(result, false) };
    default:
      throw new GrafanaParseError(`unknown result type: ${resultType}`);
  }
}

function readSeries(series: Json): SampleFrame {
  if (!isObject(series)) throw new GrafanaParseError('series: expected an object');
  const frame: SampleFrame = { labels: {}, times: [], values: [] };
  for (const [key, value] of Object.entries(series)) {
    if (key === 'metric') frame.labels = labels(value, 'metric');
    else if (key === 'value' || key === 'values') {
      for (const pair of key === 'value' ? [value] : arr(value, 'values')) {
        const [t, v] = readTimeValuePair(pair);
        frame.times.push(t);
        frame.values.push(v);
      }
    }
  }
  return frame;
}

/** `[<float64>, "<string>"]`: jsoniter's ReadFloat64 refuses a string time; ReadString refuses a number value. */
function readTimeValuePair(pair: Json): [number, number] {
  const [t, v, ...rest] = arr(pair, 'sample');
  if (rest.length > 0) throw new GrafanaParseError('sample: more than two elements');
  if (typeof t !== 'number') throw new GrafanaParseError(`sample time ${JSON.stringify(t)} is not a number`);
  return [timeFromFloat(t), goParseFloat(str(v, 'sample value'))];
}

/** Grafana's timeFromFloat: `time.UnixMilli(int64(fv * 1000.0))`: the product truncated toward zero. */
export function timeFromFloat(fv: number): number {
  return Math.trunc(fv * 1000);
}

/** Go's strconv.ParseFloat for the values Loki writes ("1.5", "NaN", "+Inf", "-Inf"). */
function goParseFloat(s: string): number {
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(s)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s))
    throw new GrafanaParseError(`ParseFloat: invalid syntax "${s}"`);
  return Number(s);
}

function readStreams(result: Json, categorized: boolean): LogRow[] {
  const rows: LogRow[] = [];
  for (const stream of arr(result, 'result')) {
    if (!isObject(stream)) throw new GrafanaParseError('stream: expected an object');
    let indexed: Record<string, string> = {};
    for (const [key, value] of Object.entries(stream)) {
      if (key === 'stream') indexed = labels(value, 'stream');
      else if (key === 'values') {
        for (const entry of arr(value, 'values')) {
          const parts = arr(entry, 'value');
          if (parts.length !== (categorized ? 3 : 2)) {
            throw new GrafanaParseError(
              `a ${categorized ? 'categorized ' : ''}stream value has ${parts.length} elements, expected ${categorized ? 3 : 2}`,
            );
          }
          const ts = str(parts[0], 'timestamp');
          const line = str(parts[1], 'line');
          const merged: Record<string, string> = { ...indexed };
          const types: Record<string, 'I' | 'S' | 'P'> = {};
          if (categorized) {
            for (const k of Object.keys(indexed)) types[k] = 'I';
            const meta = parts[2];
            if (!isObject(meta)) throw new GrafanaParseError('categorized value: third element is not an object');
            let parsed: Record<string, string> = {};
            let structured: Record<string, string> = {};
            for (const [mk, mv] of Object.entries(meta)) {
              if (mk === 'parsed') parsed = labels(mv, 'parsed');
              else if (mk === 'structuredMetadata') structured = labels(mv, 'structuredMetadata');
              else throw new GrafanaParseError(`categorized value: unexpected key "${mk}"`);
            }
            for (const [k, v] of Object.entries(structured)) [merged[k], types[k]] = [v, 'S'];
            for (const [k, v] of Object.entries(parsed)) [merged[k], types[k]] = [v, 'P'];
          }
          rows.push({ labels: merged, types, ts, timeMs: timeFromLokiString(ts), line });
        }
      } else {
        // readStream / readCategorizedStream have no default case: another key's value is never consumed
        throw new GrafanaParseError(`stream: unexpected key "${key}"`);
      }
    }
  }
  return rows;
}

/** Grafana's timeFromLokiString: nanoseconds as a decimal string (19 digits until 2033). */
function timeFromLokiString(s: string): number {
  if (!/^\d{10,19}$/.test(s)) throw new GrafanaParseError(`unexpected time format '${s}' in response`);
  return Number(BigInt(s) / 1_000_000n);
}

function labels(value: Json, what: string): Record<string, string> {
  if (!isObject(value)) throw new GrafanaParseError(`${what}: expected an object of labels`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) out[k] = str(v, `${what}.${k}`);
  return out;
}

function str(value: Json, what: string): string {
  if (typeof value !== 'string')
    throw new GrafanaParseError(`${what}: expected a string, got ${JSON.stringify(value)}`);
  return value;
}

function arr(value: Json, what: string): Json[] {
  if (!Array.isArray(value)) throw new GrafanaParseError(`${what}: expected an array`);
  return value;
}
