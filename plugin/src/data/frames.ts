import { type DataFrame, type Field, FieldType } from '@grafana/data';

import { totalsFromRows } from './aggregate';
import { ANOMALY_FIELDS, emptySeverityCounts, isSeverity, severityOf } from '@anomalog/contract';

import type { AnomalyData, AnomalyRow, FieldNames, Severity, SeverityCounts, Thresholds } from './types';

/** Names Grafana gives the log line field: Loki frames use `Line`, data-plane log frames `body`. */
const LINE_FIELD_NAMES = ['Line', 'line', 'body', 'message', 'msg'];
const STREAM_FIELD_NAMES = ['stream', 'Stream'];

type Labels = Record<string, string>;

/**
 * Turns whatever the panel receives into rows and totals:
 * - log frames from the Loki data source, anomaly fields as labels or as structured metadata
 *   (both arrive in the per-row `labels` field; `labelTypes` tells indexed labels from the rest);
 * - any frame with fields named like the score and severity fields;
 * - time series whose series carry a severity (counts by severity); they give the totals.
 */
export function anomalyDataFromFrames(frames: DataFrame[], names: FieldNames, thresholds: Thresholds): AnomalyData {
  const rows: AnomalyRow[] = [];
  let seriesCounts: SeverityCounts | undefined;
  for (const frame of frames) {
    if (readRows(frame, names, thresholds, rows)) {
      continue;
    }
    const counts = countsFromSeries(frame, names.severity);
    if (counts) {
      seriesCounts = addCounts(seriesCounts ?? emptySeverityCounts(), counts);
    }
  }
  rows.sort((a, b) => a.time - b.time);
  const totals = seriesCounts ? totalsFromCounts(seriesCounts) : totalsFromRows(rows);
  return { rows, totals };
}

/** Appends the frame's scored lines to `out`; false when the frame holds no anomaly fields at all. */
function readRows(frame: DataFrame, names: FieldNames, thresholds: Thresholds, out: AnomalyRow[]): boolean {
  const byName = (name: string) => frame.fields.find((f) => f.name === name);
  const labelsField = frame.fields.find((f) => f.name === 'labels' && f.type === FieldType.other);
  const labelTypesField = byName('labelTypes');
  const fields = {
    score: byName(names.score),
    severity: byName(names.severity),
    reason: byName(names.reason),
    template: byName(names.template),
    burst: byName(ANOMALY_FIELDS.burst),
  };
  if (!labelsField && !fields.score && !fields.severity) {
    return false;
  }
  const timeField = frame.fields.find((f) => f.type === FieldType.time);
  const lineField = frame.fields.find((f) => LINE_FIELD_NAMES.includes(f.name) && f.type === FieldType.string);
  const streamField = frame.fields.find((f) => STREAM_FIELD_NAMES.includes(f.name));
  const frameLabels: Labels = lineField?.labels ?? {};
  const anomalyKeys = new Set([names.score, names.severity, names.reason, names.template, ANOMALY_FIELDS.burst]);

  let found = false;
  for (let i = 0; i < frame.length; i++) {
    const labels = labelsField ? { ...frameLabels, ...toLabels(labelsField.values[i]) } : frameLabels;
    const read = (field: Field | undefined, name: string): unknown => (field ? field.values[i] : labels[name]);
    const rawSeverity = read(fields.severity, names.severity);
    const score = Number(read(fields.score, names.score));
    if (!isSeverity(rawSeverity) && !Number.isFinite(score)) {
      continue;
    }
    found = true;
    const severity: Severity = isSeverity(rawSeverity) ? rawSeverity : severityOf(score, thresholds);
    const indexed = labelTypesField ? indexedOnly(labels, toLabels(labelTypesField.values[i])) : labels;
    const burst = text(read(fields.burst, ANOMALY_FIELDS.burst));
    const streamLabels = withoutAnomalyFields(indexed, anomalyKeys);
    out.push({
      time: timeField ? Number(timeField.values[i]) : 0,
      stream: streamField ? String(streamField.values[i]) : renderSelector(streamLabels),
      labels: streamLabels,
      score: Number.isFinite(score) ? score : 0,
      severity,
      reason: text(read(fields.reason, names.reason)),
      template: text(read(fields.template, names.template)),
      line: lineField ? text(lineField.values[i]) : '',
      ...(burst ? { burst } : {}),
    });
  }
  return found || frame.length === 0;
}

/** Sums a time-series frame per severity; undefined when no numeric field names a severity. */
function countsFromSeries(frame: DataFrame, severityName: string): SeverityCounts | undefined {
  let counts: SeverityCounts | undefined;
  for (const field of frame.fields) {
    if (field.type !== FieldType.number) {
      continue;
    }
    const candidates = [field.labels?.[severityName], field.config?.displayNameFromDS, frame.name, field.name];
    const severity = candidates.find(isSeverity);
    if (!severity) {
      continue;
    }
    counts ??= emptySeverityCounts();
    for (const value of field.values) {
      const n = Number(value);
      if (Number.isFinite(n)) {
        counts[severity] += n;
      }
    }
  }
  return counts;
}

function addCounts(a: SeverityCounts, b: SeverityCounts): SeverityCounts {
  const sum = emptySeverityCounts();
  for (const key of Object.keys(sum) as Severity[]) {
    sum[key] = a[key] + b[key];
  }
  return sum;
}

function totalsFromCounts(bySeverity: SeverityCounts) {
  const lines = Object.values(bySeverity).reduce((a, b) => a + b, 0);
  return { lines, anomalies: lines - bySeverity.normal, bySeverity };
}

/** A row's labels: Grafana gives an object, older frames a JSON string. */
function toLabels(value: unknown): Labels {
  if (typeof value === 'string') {
    try {
      return toLabels(JSON.parse(value));
    } catch {
      return {};
    }
  }
  return value && typeof value === 'object' ? (value as Labels) : {};
}

/** Keeps the indexed labels (`I`); structured metadata (`S`) and parsed labels (`P`) are not the stream. */
function indexedOnly(labels: Labels, types: Labels): Labels {
  const out: Labels = {};
  for (const [key, value] of Object.entries(labels)) {
    if ((types[key] ?? 'I') === 'I') {
      out[key] = value;
    }
  }
  return out;
}

/** The labels without the anomaly fields (named as configured, or `anomaly_*`). */
function withoutAnomalyFields(labels: Labels, skip: ReadonlySet<string>): Labels {
  return Object.fromEntries(Object.entries(labels).filter(([key]) => !skip.has(key) && !key.startsWith('anomaly_')));
}

export function renderSelector(labels: Labels): string {
  const parts = Object.keys(labels)
    .filter((key) => !key.startsWith('anomaly_'))
    .sort()
    .map((key) => `${key}=${JSON.stringify(String(labels[key]))}`);
  return `{${parts.join(', ')}}`;
}

function text(value: unknown): string {
  return value === undefined || value === null ? '' : String(value);
}
