import type { Metrics } from '../metrics.js';
import type { Config } from '../config/index.js';
import type { LabelMatcher } from '../logql/selector.js';
import { createFileSource, type FileSource } from './file.js';
import { createLokiSource, type LokiSource } from './loki.js';
import { compareTs, type Labels } from '../stream.js';
import type { ReadQuery, Source, SourceEntry } from './types.js';

export * from './types.js';
export type { FileSource } from './file.js';
export type { LokiSource } from './loki.js';
export { SourceError } from './loki.js';

/** The configured sources. Queries read from all of them, merged by time. */
export interface SourceSet extends Source {
  file?: FileSource;
  loki?: LokiSource;
  close(): Promise<void>;
}

export function createSources(config: Config, deps: { metrics?: Metrics } = {}): SourceSet {
  const file =
    config.sources.file.length > 0
      ? createFileSource(config.sources.file, { maxLineBytes: config.server.limits.lineBytes })
      : undefined;
  const loki = config.sources.loki ? createLokiSource(config.sources.loki, deps) : undefined;
  return combineSources({ file, loki });
}

function combineSources(parts: { file?: FileSource; loki?: LokiSource }): SourceSet {
  const all: Source[] = [parts.file, parts.loki].filter((s): s is FileSource | LokiSource => s !== undefined);
  return {
    ...parts,
    name: all.map((s) => s.name).join('+') || 'none',
    async streams(selector?: LabelMatcher[]): Promise<Labels[]> {
      return (await Promise.all(all.map((s) => s.streams(selector)))).flat();
    },
    read(q: ReadQuery): AsyncIterable<SourceEntry> {
      return all.length === 1 ? all[0].read(q) : mergeReads(all, q);
    },
    async close() {
      await Promise.all(all.map((s) => s.close?.()));
    },
  };
}

/** Reads every source and merges by time; the limit applies to the merged result. */
async function* mergeReads(sources: Source[], q: ReadQuery): AsyncIterable<SourceEntry> {
  const entries: SourceEntry[] = [];
  for (const source of sources) for await (const e of source.read(q)) entries.push(e);
  entries.sort(compareTs);
  if (q.direction === 'backward') entries.reverse();
  yield* q.limit === undefined ? entries : entries.slice(0, q.limit);
}
