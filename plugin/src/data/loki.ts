import { type DataFrame, type Field, FieldType } from '@grafana/data';

/** The body of a Loki `query` / `query_range` response. */
export interface LokiResponse {
  status: string;
  data: {
    resultType: 'streams' | 'matrix' | 'vector' | 'scalar';
    encodingFlags?: string[];
    result: unknown[];
  };
}

type Labels = Record<string, string>;
interface LokiStream {
  stream: Labels;
  values: Array<[string, string, EntryMetadata?]>;
}
interface EntryMetadata {
  structuredMetadata?: Labels;
  parsed?: Labels;
}
interface LokiSeries {
  metric: Labels;
  values?: Array<[number, string]>;
  value?: [number, string];
}

/**
 * Builds the frames Grafana's Loki data source builds from the same response, so the standalone page and the
 * tests feed the panel exactly what it gets inside Grafana: one log frame with `labels`, `Time`, `Line`, `tsNs`
 * and `labelTypes` (I indexed, S structured metadata, P parsed), or one frame per metric series.
 */
export function framesFromLoki(response: LokiResponse, refId = 'A'): DataFrame[] {
  const { resultType, result } = response.data;
  if (resultType === 'streams') {
    return [logFrame(result as LokiStream[], refId)];
  }
  if (resultType === 'matrix' || resultType === 'vector') {
    return (result as LokiSeries[]).map((series) => seriesFrame(series, refId));
  }
  return [];
}

function logFrame(streams: LokiStream[], refId: string): DataFrame {
  const entries: Array<{ ns: string; line: string; labels: Labels; types: Labels }> = [];
  for (const stream of streams) {
    for (const [ns, line, meta] of stream.values) {
      const { structured, parsed } = splitMetadata(meta);
      const labels = { ...stream.stream, ...structured, ...parsed };
      const types: Labels = {};
      for (const key of Object.keys(stream.stream)) {
        types[key] = 'I';
      }
      for (const key of Object.keys(structured)) {
        types[key] = 'S';
      }
      for (const key of Object.keys(parsed)) {
        types[key] = 'P';
      }
      entries.push({ ns, line, labels, types });
    }
  }
  entries.sort((a, b) => compareNs(b.ns, a.ns));
  const fields: Field[] = [
    field('labels', FieldType.other, entries.map((e) => e.labels)),
    field('Time', FieldType.time, entries.map((e) => nsToMs(e.ns))),
    field('Line', FieldType.string, entries.map((e) => e.line)),
    field('tsNs', FieldType.string, entries.map((e) => e.ns)),
    field('labelTypes', FieldType.other, entries.map((e) => e.types)),
  ];
  return { refId, name: refId, fields, length: entries.length, meta: { preferredVisualisationType: 'logs' } };
}

/** Loki sends metadata as `{structuredMetadata, parsed}` under categorize-labels, as a flat map otherwise. */
function splitMetadata(meta: EntryMetadata | Labels | undefined): { structured: Labels; parsed: Labels } {
  if (!meta) {
    return { structured: {}, parsed: {} };
  }
  if ('structuredMetadata' in meta || 'parsed' in meta) {
    const m = meta as EntryMetadata;
    return { structured: m.structuredMetadata ?? {}, parsed: m.parsed ?? {} };
  }
  return { structured: meta as Labels, parsed: {} };
}

function seriesFrame(series: LokiSeries, refId: string): DataFrame {
  const points = series.values ?? (series.value ? [series.value] : []);
  const name = Object.entries(series.metric)
    .map(([k, v]) => `${k}="${v}"`)
    .join(', ');
  const value = field('Value', FieldType.number, points.map(([, v]) => Number(v)));
  value.labels = series.metric;
  return {
    refId,
    name: `{${name}}`,
    fields: [field('Time', FieldType.time, points.map(([t]) => t * 1000)), value],
    length: points.length,
  };
}

function field(name: string, type: FieldType, values: unknown[]): Field {
  return { name, type, config: {}, values };
}

function nsToMs(ns: string): number {
  return Number(ns.slice(0, -6) || '0');
}

function compareNs(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
