import { stat } from 'node:fs/promises';
import type { Row } from '../../logql/stages.js';
import type { FileStream } from '../../sources/file.js';
import { msToNs } from '../../stream.js';
import type { FileTail } from '../../sources/tail.js';
import type { DetectorKind } from '../../types.js';
import { resultFields, StreamScorer, type StreamItem, type StreamResult } from '../../service/stream-scoring.js';
import type { AppContext } from '../../service/context.js';
import { withServiceName } from '../../logql/derived.js';
import { LevelReader } from './streams.js';

interface Indexed {
  key: string;
  path: string;
  /** Bytes of the lines held (the LRU's measure). */
  bytes: number;
  lastUsed: number;
  model: unknown;
  tail: FileTail;
  levels?: LevelReader;
  scorer: StreamScorer<StreamItem>;
  rows: Row[];
  /** Serializes updates: one poll of the file at a time. */
  busy: Promise<unknown>;
}

const MAX_ROWS_PER_FILE = 500_000;
/** All files' scored lines together stay under this many bytes: the least recently queried files go first. */
export const MAX_INDEX_BYTES = 256 * 1024 * 1024;
/** Scoring time between two yields to the event loop, so a first query over a big file does not stall the others. */
const SLICE_MS = 8;
const READ_BYTES = 1024 * 1024;
const PIECE_LINES = 128;
const PRUNE_MS = 2_000;

/**
 * Scored lines of the file source, kept in memory so a query does not re-score whole files: each query scores only
 * what was appended since the last one. A file that went quiet has its open sessions flushed, so static files are
 * complete. A retrained model (a new model object) re-scores the file from its start.
 */
export class ScoredFileIndex {
  private readonly files = new Map<string, Indexed>();

  constructor(
    private readonly ctx: AppContext,
    private readonly maxBytes = MAX_INDEX_BYTES,
  ) {
    // Deleted files are noticed even when no query names them any more (their descriptor pins the disk space).
    setInterval(() => void this.dropDeleted().catch(() => undefined), PRUNE_MS).unref();
  }

  /** Files indexed now and the bytes their lines hold (for tests and /metrics). */
  size(): { files: number; bytes: number } {
    return { files: this.files.size, bytes: [...this.files.values()].reduce((n, e) => n + e.bytes, 0) };
  }

  /** Every scored row of the file so far, in file order (fields set, nothing parsed yet). */
  async rows(file: FileStream, detector?: DetectorKind): Promise<readonly Row[]> {
    await this.dropDeleted();
    const route = this.ctx.models.route(file.labels, detector);
    const key = `${file.path}\u0000${route.detector}`;
    const { model } = this.ctx.models.resolve(file.labels, detector);
    let entry = this.files.get(key);
    if (!entry || entry.model !== model) {
      await entry?.tail.close();
      const scorer = this.scorerOf(file, detector);
      const tail = this.ctx.sources.file!.tail(file);
      await tail.open('start');
      entry = {
        key,
        path: file.path,
        bytes: 0,
        lastUsed: Date.now(),
        model,
        tail,
        scorer,
        rows: [],
        busy: Promise.resolve(),
      };
      this.files.set(key, entry);
    }
    const indexed = entry;
    indexed.lastUsed = Date.now();
    const update = indexed.busy.then(() => this.update(file, indexed, detector));
    indexed.busy = update.catch(() => undefined);
    await update;
    await this.evict(indexed);
    return indexed.rows;
  }

  /** Forgets the least recently queried files until the index fits in `maxBytes` (never the one just asked for). */
  private async evict(keep: Indexed) {
    let total = this.size().bytes;
    for (const entry of [...this.files.values()].sort((a, b) => a.lastUsed - b.lastUsed)) {
      if (total <= this.maxBytes) break;
      if (entry === keep) continue;
      total -= entry.bytes;
      await this.forget(entry);
    }
  }

  /** A file deleted (or replaced by another at its path) is forgotten, and its descriptor closed. */
  private async dropDeleted() {
    for (const entry of [...this.files.values()]) {
      const st = await stat(entry.path).catch(() => undefined);
      if (!st || st.ino !== entry.tail.position().ino) await this.forget(entry);
    }
  }

  private async forget(entry: Indexed) {
    this.files.delete(entry.key);
    await entry.busy;
    await entry.tail.close();
    entry.rows = [];
  }

  private scorerOf(file: FileStream, detector?: DetectorKind): StreamScorer<StreamItem> {
    return new StreamScorer(this.ctx, file.labels, {
      ...file,
      detector,
      fallback: Date.now,
      sliceMs: SLICE_MS,
      feedback: false,
    });
  }

  private async update(file: FileStream, entry: Indexed, detector?: DetectorKind) {
    const stream = withServiceName(file.labels);
    const add = (results: readonly StreamResult<StreamItem>[]) => {
      const levels = entry.levels!;
      for (const result of results) {
        const { item } = result;
        entry.rows.push({
          stream,
          ts: msToNs(result.ms),
          line: item.line,
          fields: { ...resultFields(result), ...levels.fields(item.line) },
          parsed: {},
        });
        entry.bytes += item.line.length + 200;
      }
    };
    let any = false;
    // Bounded reads, scored in slices with the event loop free between them; then a poll for rotation/truncation.
    for (let batch = await entry.tail.read(READ_BYTES); ; batch = await entry.tail.read(READ_BYTES)) {
      const lines = batch.length > 0 ? batch : await entry.tail.poll();
      if (lines.length === 0) break;
      any = true;
      entry.levels ??= new LevelReader(lines.slice(0, 100).map((l) => l.line));
      // In pieces: the rows of a piece are made between two yields of the scoring loop.
      for (let at = 0; at < lines.length; at += PIECE_LINES)
        add(await entry.scorer.score(lines.slice(at, at + PIECE_LINES)));
      if (entry.rows.length > MAX_ROWS_PER_FILE) {
        const cut = entry.rows.length - MAX_ROWS_PER_FILE;
        for (let i = 0; i < cut; i++) entry.bytes -= entry.rows[i].line.length + 200;
        entry.rows.splice(0, cut);
      }
    }
    // A query shows every line read: those a system log's scorer holds for its open minute come back as they stand.
    if (any) add(entry.scorer.flush());
    if (!any && entry.scorer.held().length > 0) {
      add(entry.scorer.end());
      entry.scorer = this.scorerOf(file, detector);
    }
  }
}
