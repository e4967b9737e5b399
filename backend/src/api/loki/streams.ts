import { createParser, normalizeLevel, type LineParser } from '../../parsing/index.js';
import { DERIVED_STREAM_LABELS, DETECTED_LEVEL, detectedLevel, withServiceName } from '../../logql/derived.js';
import { matchesSelector, type LabelMatcher } from '../../logql/selector.js';
import type { ReadQuery, SourceEntry } from '../../sources/index.js';
import type { FileStream } from '../../sources/file.js';
import { formatSelector } from '../../sources/loki.js';
import { streamKey, type Labels } from '../../stream.js';
import type { AppContext } from '../../service/context.js';
import { resultFields } from '../../service/stream-scoring.js';
import type { StreamItem, StreamResult } from '../../service/types.js';
import type { Row } from '../../logql/stages.js';
import type { ScoredLine } from '../../types.js';

/**
 * Streams as Loki 3 shows them: with `service_name` (derived at ingestion in Loki). The file source knows only its
 * configured labels, so a selector's matchers on derived labels are applied here, after the source selected by the
 * others; an upstream Loki 3 derives `service_name` itself, so it gets the whole selector.
 */
export const sourceMatchers = (selector: readonly LabelMatcher[]): LabelMatcher[] =>
  selector.filter((m) => !DERIVED_STREAM_LABELS.has(m.name));

/** Whether a stream (its source labels) matches a selector that may name derived labels. */
export const selects = (selector: readonly LabelMatcher[], labels: Labels): boolean =>
  matchesSelector(selector, withServiceName(labels));

/**
 * Streams matching `selector` (all when undefined), with derived labels; with a window, only the file streams with a
 * line in it: `hasLines` answers for a file (the routes ask the scored index, which is in memory), else the file is read.
 */
export async function streamsOf(
  ctx: AppContext,
  selector?: readonly LabelMatcher[],
  window?: { start: bigint; end: bigint },
  hasLines?: (file: FileStream, window: { start: bigint; end: bigint }) => Promise<boolean | undefined>,
): Promise<Labels[]> {
  const found = new Map<string, Labels>();
  const add = (labels: Labels) => {
    const derived = withServiceName(labels);
    found.set(streamKey(derived), derived);
  };
  const file = ctx.sources.file;
  if (file) {
    const files = (await file.files(selector ? sourceMatchers(selector) : [])).filter(
      (f) => !selector || selects(selector, f.labels),
    );
    if (!window) files.forEach((f) => add(f.labels));
    else {
      for (const f of files) {
        const known = await hasLines?.(f, window);
        if (known !== undefined) {
          if (known) add(f.labels);
          continue;
        }
        const only: LabelMatcher[] = [{ name: 'filename', op: '=', value: f.labels.filename }];
        for await (const e of file.read({
          selector: only,
          lineFilters: [],
          start: window.start,
          end: window.end,
          limit: 1,
        })) {
          add(e.labels);
          break;
        }
      }
    }
  }
  const loki = ctx.sources.loki;
  if (loki && !window) for (const labels of await loki.streams(selector ? [...selector] : undefined)) add(labels);
  if (loki && window) {
    // Loki's own series API over the window (labels first when there is no selector, as LokiSource.streams does)
    const range = { start: String(window.start), end: String(window.end) };
    const matches = selector?.length
      ? [formatSelector(selector)]
      : (((await loki.get('/loki/api/v1/labels', range)) as { data?: string[] }).data ?? []).map(
          (name) => `{${name}=~".+"}`,
        );
    for (const match of matches) {
      const res = (await loki.get('/loki/api/v1/series', { 'match[]': match, ...range })) as { data?: Labels[] };
      for (const labels of res.data ?? []) add(labels);
    }
  }
  return [...found.values()];
}

/** Reads lines of every source, derived labels added and derived-label matchers applied (see sourceMatchers). */
export async function* readOf(ctx: AppContext, q: ReadQuery): AsyncIterable<SourceEntry> {
  const file = ctx.sources.file;
  if (file) {
    for await (const e of file.read({ ...q, selector: sourceMatchers(q.selector) })) {
      if (selects(q.selector, e.labels)) yield { ...e, labels: withServiceName(e.labels) };
    }
  }
  if (ctx.sources.loki)
    for await (const e of ctx.sources.loki.read(q)) yield { ...e, labels: withServiceName(e.labels) };
}

/** What a line's level fields are read from: a parse of the line, or a scored line (its scorer's parse). */
type LevelReading = Pick<ScoredLine, 'level' | 'format'>;

/**
 * The reading of a line's level: its scorer's, so that a line is parsed once, as the scoring loop reads its time
 * (service/stream-scoring.ts); the first query_range over 1,000,000 access lines (bench/service.bench.ts, scoring
 * them into the index) took 6.5-7.3 s of CPU against 7.5-8.4 s when the index parsed every line again. A parser of
 * the stream's own format (made at the first line it reads) reads only the lines no scorer read (a stream whose
 * model is being learned), and those the model's parser read as `generic` when the stream's format is another: the
 * JSON lines of a stream scored by a web model read as `generic`, no level.
 */
export class LevelReader {
  private parser?: LineParser;

  constructor(private readonly sample: readonly string[] = []) {}

  of(line: string, scored: ScoredLine | undefined): LevelReading {
    if (scored && scored.format !== 'generic') return scored;
    this.parser ??= createParser('auto', { sample: this.sample.length > 0 ? this.sample : [line] });
    return scored && this.parser.format === 'generic' ? scored : this.parser.parse(line);
  }
}

/**
 * Adds the level fields Loki 3 adds as structured metadata: `detected_level` always (the level Anomalog's parser
 * read from the line: the level field, a level word, or a web request's status; `unknown` when none), and `level`
 * where the line itself has one (not for web access logs, whose level is derived from the status).
 */
function addLevel(fields: Labels, { level, format }: LevelReading): Labels {
  const normal = normalizeLevel(level);
  fields[DETECTED_LEVEL] = detectedLevel(normal);
  if (normal && format !== 'apache' && format !== 'nginx') fields.level = normal;
  return fields;
}

/** No parsed labels: one object for every row (stages replace `parsed`, never change it). */
const NO_PARSED = Object.freeze({}) as Labels;

/**
 * A scored line as a row of the Loki API, its anomaly fields and level in one object: a spread of the two into a
 * third, and an empty `parsed` of its own, took 722 bytes of heap a row instead of 426 (a 182-character access line),
 * and 1.8 µs instead of 1.1. The level is the scorer's reading, where `levels` finds it fits (LevelReader.of).
 */
export function scoredRow(stream: Labels, ts: bigint, result: StreamResult<StreamItem>, levels: LevelReader): Row {
  const { line } = result.item;
  const fields = addLevel(resultFields(result) as Labels, levels.of(line, result.scored));
  return { stream, ts, line, fields, parsed: NO_PARSED };
}
