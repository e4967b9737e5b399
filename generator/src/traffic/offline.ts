import { closeSync, openSync } from 'node:fs';
import { basename } from 'node:path';
import { ClfClock, formatAccessLine, type AccessFormat } from '../format/access-line.js';
import { ChunkWriter } from '../format/chunk-writer.js';
import { TrafficModel, type TrafficOptions } from './model.js';
import type { Label } from './scenarios.js';

export interface OfflineTrafficOptions extends TrafficOptions {
  /** The access log to write; the labels go to `${out}.labels.jsonl`. */
  out: string;
  lines: number;
  /** `nginx` (default) appends ` rt=<seconds>`; `combined` is plain Apache and cannot show latency spikes. */
  format?: AccessFormat;
  onProgress?: (done: number, total: number) => void;
}

export interface GenerationSummary {
  lines: number;
  anomalies: number;
  byLabel: Record<string, number>;
  files: string[];
}

const PROGRESS_EVERY = 50_000;

/** One labelled access-log line after another, for callers that keep them in memory. */
export function* generateTraffic(
  opts: TrafficOptions & { lines: number; format?: AccessFormat },
): Generator<{ line: string; label: Label }> {
  const { model, format } = modelFor(opts);
  const clock = new ClfClock();
  for (let i = 0; i < opts.lines; i++) {
    const { record, label } = model.next();
    yield { line: formatAccessLine(record, format, clock), label };
  }
}

/** Writes `lines` access-log lines and the ground-truth sidecar, in large chunks. */
export function writeTraffic(opts: OfflineTrafficOptions): GenerationSummary {
  const { model, format } = modelFor(opts);
  const labelsPath = `${opts.out}.labels.jsonl`;
  // Everything after the line number is one of a few strings: build each once.
  const fileField = JSON.stringify(basename(opts.out));
  const labelTails = new Map<Label, string>();
  const tailOf = (label: Label) =>
    labelTails.get(label) ?? labelTails.set(label, `,"file":${fileField},"label":"${label}"}`).get(label)!;
  const clock = new ClfClock();
  const byLabel: Record<string, number> = {};
  const logFd = openSync(opts.out, 'w');
  const labelFd = openSync(labelsPath, 'w');
  try {
    const log = new ChunkWriter(logFd);
    const labels = new ChunkWriter(labelFd);
    for (let n = 1; n <= opts.lines; n++) {
      const { record, label } = model.next();
      log.line(formatAccessLine(record, format, clock));
      labels.line('{"line":' + n + tailOf(label));
      byLabel[label] = (byLabel[label] ?? 0) + 1;
      if (n % PROGRESS_EVERY === 0) opts.onProgress?.(n, opts.lines);
    }
    log.flush();
    labels.flush();
    opts.onProgress?.(opts.lines, opts.lines);
  } finally {
    closeSync(logFd);
    closeSync(labelFd);
  }
  return { lines: opts.lines, anomalies: opts.lines - (byLabel.normal ?? 0), byLabel, files: [opts.out, labelsPath] };
}

function modelFor(opts: TrafficOptions & { format?: AccessFormat }) {
  const format = opts.format ?? 'nginx';
  // Without a response-time field a latency spike leaves no trace in the line: do not label one.
  const weights = format === 'combined' ? { latency_spike: 0, ...opts.weights } : opts.weights;
  return { model: new TrafficModel({ ...opts, weights }), format };
}
