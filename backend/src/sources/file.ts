import { FORMAT_SAMPLE_LINES } from '@anomalog/contract';
import { stat } from 'node:fs/promises';
import { matchesSelector, type LabelMatcher } from '../logql/selector.js';
import { createParser } from '../parsing/index.js';
import { FORMAT_NAMES, type FormatName } from '../types.js';
import { expandGlob } from './glob.js';
import { FileTail } from './tail.js';
import { compareTs, msToNs, type Labels } from '../stream.js';
import { passesLineFilters } from '../logql/line-filter.js';
import type { ReadQuery, Source, SourceEntry } from './types.js';

/** One `sources.file` entry of anomalog.yaml: a glob and the labels its files get (plus `filename`). */
export interface FileStreamConfig {
  path: string;
  labels: Labels;
  format?: string;
  /** Named-group regex of a format of your own (implies `custom`). */
  pattern?: string;
}

/** One file on disk and its stream labels. */
export interface FileStream {
  path: string;
  labels: Labels;
  format: FormatName | 'auto';
  pattern?: string;
}

export interface FileSource extends Source {
  /** The files the configured globs match now, restricted to `selector`. Only configured paths are ever read. */
  files(selector?: LabelMatcher[]): Promise<FileStream[]>;
  /** A follower for one of `files()`. */
  tail(file: FileStream): FileTail;
}

const FORMATS = new Set<string>(FORMAT_NAMES);
const SLICE_MS = 8;

export function createFileSource(
  config: readonly FileStreamConfig[],
  opts: { maxLineBytes?: number } = {},
): FileSource {
  async function files(selector: LabelMatcher[] = []): Promise<FileStream[]> {
    const found = new Map<string, FileStream>();
    for (const entry of config) {
      const { pattern } = entry;
      const format = pattern
        ? 'custom'
        : entry.format && FORMATS.has(entry.format)
          ? (entry.format as FormatName)
          : 'auto';
      for (const path of await expandGlob(entry.path)) {
        const labels = { ...entry.labels, filename: path };
        if (!found.has(path) && matchesSelector(selector, labels)) found.set(path, { path, labels, format, pattern });
      }
    }
    return [...found.values()];
  }

  const tail = (file: FileStream) => new FileTail(file.path, opts.maxLineBytes);

  return {
    name: 'file',
    files,
    tail,
    async streams(selector) {
      return (await files(selector)).map((f) => f.labels);
    },
    async *read(q: ReadQuery): AsyncIterable<SourceEntry> {
      const entries: SourceEntry[] = [];
      for (const file of await files(q.selector)) {
        const follower = tail(file);
        await follower.open('start');
        const lines = (await follower.poll()).map((l) => l.line);
        await follower.close();
        const mtime = (await stat(file.path).catch(() => undefined))?.mtimeMs ?? Date.now();
        // As many lines as a format is told from: a header may come after a preamble (Windows' DHCP server log).
        const stamp = lineClock(file, lines.slice(0, FORMAT_SAMPLE_LINES), () => mtime);
        let sliceStart = performance.now();
        for (let i = 0; i < lines.length; i++) {
          const line = lines[i];
          const ts = msToNs(stamp(line));
          if (ts >= q.start && ts < q.end && passesLineFilters(line, q.lineFilters))
            entries.push({ labels: file.labels, ts, line });
          // A big file is read in slices: the service answering other requests shares this event loop.
          if ((i & 255) === 255 && performance.now() - sliceStart > SLICE_MS) {
            await new Promise<void>((resolve) => setImmediate(resolve));
            sliceStart = performance.now();
          }
        }
      }
      entries.sort(compareTs);
      if (q.direction === 'backward') entries.reverse();
      yield* q.limit === undefined ? entries : entries.slice(0, q.limit);
    },
  };
}

/**
 * Timestamps for the lines of one file, in milliseconds: parsed from the line when its format carries one, else the
 * previous line's (a continuation line), else `fallback` (the file's mtime for history, the read time when tailing).
 */
export function lineClock(
  file: Pick<FileStream, 'format' | 'pattern'>,
  sample: readonly string[],
  fallback: () => number,
): (line: string) => number {
  const parser = createParser(file.format, { sample, pattern: file.pattern });
  let last: number | undefined;
  return (line) => {
    const ts = parser.parse(line).ts;
    if (ts !== undefined && Number.isFinite(ts)) last = ts;
    return last ?? fallback();
  };
}
