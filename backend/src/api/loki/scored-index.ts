import { stat } from 'node:fs/promises';
import type { Row } from '../../logql/stages.js';
import type { FileStream } from '../../sources/file.js';
import { msToNs } from '../../stream.js';
import type { FileTail, TailLine } from '../../sources/tail.js';
import type { DetectorKind } from '../../types.js';
import { StreamScorer } from '../../service/stream-scoring.js';
import { fileIdentity } from '../../service/scored-files.js';
import type { FileItem, ScoredFileLines, StreamItem, StreamResult } from '../../service/types.js';
import type { AppContext } from '../../service/context.js';
import { withServiceName } from '../../logql/derived.js';
import { LevelReader, scoredRow } from './streams.js';

interface Indexed {
  key: string;
  file: FileStream;
  /** The detector the rows are scored with (the stream's route when the query names none). */
  detector: DetectorKind;
  stream: Record<string, string>;
  /** Bytes of the lines held (the LRU's measure). */
  bytes: number;
  lastUsed: number;
  model: unknown;
  /** The file the rows are of (`<inode>:<fingerprint>`); undefined until its first whole line is read. */
  identity?: string;
  /** The index's own reader of the file: opened at the first query (an entry the watcher's lines began is not yet). */
  tail: FileTail;
  opened: boolean;
  levels?: LevelReader;
  scorer: StreamScorer<TailLine>;
  rows: Row[];
  /** The earliest and latest time of each BLOCK rows, so a query of a short window (a live tail) skips the others. */
  blocks: { min: bigint; max: bigint }[];
  /**
   * The rows are the file's lines from byte `from` to byte `offset`, in file order. Before `from`: the lines the
   * watcher had read before the index took its first line of the file, scored by the index at the next query.
   */
  from: number;
  offset: number;
  /** The watcher's lines were taken, or a range scored: the own reader and scorer go on from `offset` afresh. */
  resync: boolean;
  /** A query's update runs: the watcher's lines wait (at most MAX_WAITING), then are taken in order. */
  updating: boolean;
  waiting: ScoredFileLines[];
  waitingLines: number;
  /** Serializes updates: one poll of the file at a time. */
  busy: Promise<unknown>;
}

/** A file's newest rows kept (up to BLOCK - 1 more: the oldest go a block at a time). */
const MAX_ROWS_PER_FILE = 500_000;
const BLOCK = 4_096;
/** All files' scored lines together stay under this many bytes: the least recently queried files go first. */
export const MAX_INDEX_BYTES = 256 * 1024 * 1024;
/** Scoring time between two yields to the event loop, so a first query over a big file does not stall the others. */
const SLICE_MS = 8;
const READ_BYTES = 1024 * 1024;
/**
 * Lines given to the scoring loop at a time: its batches grow to 1,024 lines only when a call has that many (pieces of
 * 128 kept them at 128: 33k lines/s, against 53k in batches of 1,024). A piece's rows are made in one go.
 */
const PIECE_LINES = 1_024;
/** The watcher's lines waiting while a query updates the file; past this they are dropped and scored at the next. */
const MAX_WAITING = 65_536;
const PRUNE_MS = 2_000;
/** A row's heap: 426 bytes for a 182-character access line (measured; `scoredRow`), so 250 beside its characters. */
const rowBytes = (row: Row) => row.line.length + 250;

/**
 * Scored lines of the file source, kept in memory so a query does not re-score whole files: each query scores only
 * what was appended since the last one. A file that went quiet has its open sessions flushed, so static files are
 * complete. A retrained model (a new model object) re-scores the file from its start.
 *
 * With the watcher in the same process (`anomalog start`), the index takes the lines the watcher scores
 * (`ScoredFiles`) instead of scoring them again: by file identity and byte offset, when they follow on from what it
 * holds, and scored by the model it holds. It then scores by itself only what the watcher does not: the lines of a
 * followed file before those it handed over (from the file's start to where the watcher began, or to where it stood
 * at the last cycle when the index first took the file), and files or detectors the watcher does not score. The
 * newest lines of a followed file show once the watcher has scored them (`watch.interval`; a system log's at the end
 * of their minute, a session's when it closes: as the anomalies the watcher pushes).
 */
export class ScoredFileIndex {
  private readonly files = new Map<string, Indexed>();
  private bytes = 0;

  constructor(
    private readonly ctx: AppContext,
    private readonly maxBytes = MAX_INDEX_BYTES,
  ) {
    // Deleted files are noticed even when no query names them any more (their descriptor pins the disk space).
    setInterval(() => void this.dropDeleted().catch(() => undefined), PRUNE_MS).unref();
    ctx.scoredFiles.listen((lines) => this.take(lines));
  }

  /** Files indexed now and the bytes their lines hold (for tests and /metrics). */
  size(): { files: number; bytes: number } {
    return { files: this.files.size, bytes: this.bytes };
  }

  /**
   * The scored rows of the file so far, in file order (fields set, nothing parsed yet): every one, or, with a window,
   * those of the blocks whose times meet it (the caller still checks each row's time). A live tail polling the last
   * second of a 500,000-row file looks at one block instead of every row.
   */
  async rows(
    file: FileStream,
    detector?: DetectorKind,
    window?: { start: bigint; end: bigint },
  ): Promise<readonly Row[]> {
    const routed = this.ctx.models.route(file.labels, detector).detector;
    const key = `${file.path}\u0000${routed}`;
    const { model } = this.ctx.models.resolve(file.labels, detector);
    // This file only: the others are checked every PRUNE_MS (the watcher makes entries for every file it follows).
    const existing = this.files.get(key);
    if (existing) await this.dropDeleted([existing]);
    let entry = this.files.get(key);
    if (!entry || entry.model !== model) {
      if (entry) void this.forget(entry);
      entry = this.create(file, key, routed, model, 0);
    }
    const indexed = entry;
    indexed.lastUsed = Date.now();
    const update = indexed.busy.then(() => this.update(indexed));
    indexed.busy = update.catch(() => undefined);
    await update;
    await this.evict(indexed);
    if (!window) return indexed.rows;
    const { rows, blocks } = indexed;
    const out: Row[] = [];
    for (let b = 0; b < blocks.length; b++) {
      if (blocks[b].max < window.start || blocks[b].min >= window.end) continue;
      for (let i = b * BLOCK; i < Math.min(rows.length, (b + 1) * BLOCK); i++) out.push(rows[i]);
    }
    return out;
  }

  private create(file: FileStream, key: string, detector: DetectorKind, model: unknown, from: number): Indexed {
    const entry: Indexed = {
      key,
      file,
      detector,
      stream: withServiceName(file.labels),
      bytes: 0,
      lastUsed: Date.now(),
      model,
      tail: this.ctx.sources.file!.tail(file),
      opened: false,
      scorer: this.scorerOf(file, detector),
      rows: [],
      blocks: [],
      from,
      offset: from,
      resync: false,
      updating: false,
      waiting: [],
      waitingLines: 0,
      busy: Promise.resolve(),
    };
    this.files.set(key, entry);
    return entry;
  }

  /**
   * Lines the watcher scored: appended to the file's entry when they follow on from its rows and were scored by the
   * model it holds (else left: a query scores the gap). A file no query asked for yet gets an entry too, whose rows
   * begin where the watcher's do.
   */
  private take(lines: ScoredFileLines) {
    const key = `${lines.file.path}\u0000${lines.detector}`;
    let entry = this.files.get(key);
    if (entry?.updating) {
      if (entry.waitingLines + lines.results.length <= MAX_WAITING) {
        entry.waiting.push(lines);
        entry.waitingLines += lines.results.length;
      }
      return;
    }
    let model;
    try {
      model = this.ctx.models.resolve(lines.file.labels, lines.detector).model;
    } catch {
      return;
    }
    if (entry && entry.model !== model) {
      void this.forget(entry);
      entry = undefined;
    }
    if (entry && entry.identity !== lines.identity) {
      // Another file at the path (rotated, truncated) read from its start begins the path's entry afresh; the rest
      // of a file rotated away is left (the index keeps the file at the path, as its own reader does).
      if (lines.results[0]?.item.start !== 0) return;
      void this.forget(entry);
      entry = undefined;
    }
    const taken: StreamResult<FileItem>[] = [];
    let offset = entry?.offset;
    for (const r of lines.results) {
      if (r.model !== model) continue; // held lines of a model replaced since
      offset ??= r.item.start;
      if (r.item.start !== offset) continue;
      taken.push(r);
      offset = r.item.end;
    }
    if (taken.length === 0) return;
    // Never queried: the first to go when the index is full.
    entry ??= Object.assign(this.create(lines.file, key, lines.detector, model, taken[0].item.start), { lastUsed: 0 });
    entry.identity = lines.identity;
    this.append(entry, this.toRows(entry, taken, []));
    entry.offset = offset!;
    entry.resync = true;
    void this.evict(entry);
  }

  /** Forgets the least recently queried files until the index fits in `maxBytes` (never `keep`). */
  private async evict(keep: Indexed) {
    if (this.bytes <= this.maxBytes) return;
    for (const entry of [...this.files.values()].sort((a, b) => a.lastUsed - b.lastUsed)) {
      if (this.bytes <= this.maxBytes) break;
      if (entry !== keep) await this.forget(entry);
    }
  }

  /** A file deleted (or replaced by another at its path) is forgotten, and its descriptor closed. */
  private async dropDeleted(entries = [...this.files.values()]) {
    for (const entry of entries) {
      if (entry.identity === undefined) continue;
      const st = await stat(entry.file.path).catch(() => undefined);
      if (!st || !entry.identity.startsWith(`${st.ino}:`)) await this.forget(entry);
    }
  }

  private async forget(entry: Indexed) {
    if (this.files.get(entry.key) !== entry) return;
    this.files.delete(entry.key);
    this.clear(entry);
    await entry.busy;
    this.clear(entry); // what an update running meanwhile added
    await entry.tail.close();
  }

  private scorerOf(file: FileStream, detector: DetectorKind): StreamScorer<TailLine> {
    return new StreamScorer(this.ctx, file.labels, { ...file, detector, fallback: Date.now, sliceMs: SLICE_MS });
  }

  private toRows(entry: Indexed, results: readonly StreamResult<StreamItem>[], into: Row[]): Row[] {
    if (results.length === 0) return into;
    entry.levels ??= new LevelReader(results.slice(0, 100).map((r) => r.item.line));
    const levels = entry.levels;
    for (const result of results) into.push(scoredRow(entry.stream, msToNs(result.ms), result, levels));
    return into;
  }

  /** Adds rows after the entry's, keeping its newest MAX_ROWS_PER_FILE (the lines before `from` then go unscored). */
  private append(entry: Indexed, rows: readonly Row[]) {
    const { blocks } = entry;
    for (const row of rows) {
      const b = entry.rows.length / BLOCK;
      if (b === blocks.length) blocks.push({ min: row.ts, max: row.ts });
      else {
        const block = blocks[blocks.length - 1];
        if (row.ts < block.min) block.min = row.ts;
        if (row.ts > block.max) block.max = row.ts;
      }
      entry.rows.push(row);
      entry.bytes += rowBytes(row);
      this.bytes += rowBytes(row);
    }
    const cut = Math.floor((entry.rows.length - MAX_ROWS_PER_FILE) / BLOCK) * BLOCK;
    if (cut <= 0) return;
    for (let i = 0; i < cut; i++) {
      entry.bytes -= rowBytes(entry.rows[i]);
      this.bytes -= rowBytes(entry.rows[i]);
    }
    entry.rows.splice(0, cut);
    blocks.splice(0, cut / BLOCK);
    entry.from = 0;
  }

  /** Empties the entry's rows (to fill them again). */
  private clear(entry: Indexed) {
    this.bytes -= entry.bytes;
    entry.bytes = 0;
    entry.rows = [];
    entry.blocks = [];
  }

  private async update(entry: Indexed) {
    entry.updating = true;
    try {
      if (!entry.opened) await this.open(entry);
      if (!entry.opened) return;
      if (entry.from > 0) await this.scorePrefix(entry);
      await this.ctx.scoredFiles.known();
      this.takeWaiting(entry); // what the watcher scored meanwhile is not scored again
      const covered =
        entry.identity === undefined ? undefined : this.ctx.scoredFiles.coveredOf(entry.identity, entry.detector);
      if (covered === undefined) await this.readOwn(entry);
      else if (entry.offset < covered) {
        this.append(entry, await this.scoreRange(entry, entry.offset, covered));
        entry.offset = covered;
      }
    } finally {
      this.takeWaiting(entry);
      entry.updating = false;
    }
  }

  private takeWaiting(entry: Indexed) {
    const waiting = entry.waiting;
    entry.waiting = [];
    entry.waitingLines = 0;
    entry.updating = false;
    for (const lines of waiting) this.take(lines);
    entry.updating = true;
  }

  /** Opens the index's reader on the file at the path; when that is another file than the rows', starts afresh. */
  private async open(entry: Indexed) {
    if (!(await entry.tail.openAt(0))) return;
    entry.opened = true;
    const { ino, fp } = entry.tail.position();
    const identity = fp === undefined ? undefined : fileIdentity(ino, fp);
    if (entry.identity !== undefined && entry.identity !== identity) {
      this.clear(entry);
      entry.from = entry.offset = 0;
    }
    entry.identity = identity;
    entry.resync = true;
  }

  /** The lines before the first the watcher handed over, before the rows. */
  private async scorePrefix(entry: Indexed) {
    const prefix = await this.scoreRange(entry, 0, entry.from);
    const rows = entry.rows;
    this.clear(entry);
    entry.from = 0;
    this.append(entry, prefix);
    this.append(entry, rows);
  }

  /**
   * Scores the lines from byte `from` to byte `to` (both line starts) with a scorer of their own, to its end (open
   * sessions and minutes closed at `to`). At most MAX_ROWS_PER_FILE rows come back, the newest.
   */
  private async scoreRange(entry: Indexed, from: number, to: number): Promise<Row[]> {
    const scorer = this.scorerOf(entry.file, entry.detector);
    const rows: Row[] = [];
    entry.tail.seek(from);
    entry.resync = true;
    for (;;) {
      const read = await entry.tail.read(Math.min(READ_BYTES, Math.max(1, to - entry.tail.position().offset)));
      const lines = read.filter((l) => l.start < to);
      for (let at = 0; at < lines.length; at += PIECE_LINES)
        this.toRows(entry, await scorer.score(lines.slice(at, at + PIECE_LINES)), rows);
      if (rows.length > MAX_ROWS_PER_FILE) rows.splice(0, rows.length - MAX_ROWS_PER_FILE);
      if (lines.length === 0 || lines.length < read.length || entry.tail.position().offset >= to) break;
    }
    this.toRows(entry, scorer.end(), rows);
    return rows;
  }

  /** A file the watcher does not score for this detector: what was appended since (after rotation, truncation). */
  private async readOwn(entry: Indexed) {
    if (entry.resync) {
      entry.tail.seek(entry.offset);
      entry.scorer = this.scorerOf(entry.file, entry.detector);
      entry.resync = false;
    }
    const add = (results: readonly StreamResult<TailLine>[]) => {
      this.append(entry, this.toRows(entry, results, []));
      const last = results.at(-1)?.item;
      if (last) {
        // The last line read is of the file open now (a poll's lines of a rotated file come before the new one's).
        const { ino, fp } = entry.tail.position();
        entry.offset = last.end;
        entry.identity = fileIdentity(ino, fp);
      }
    };
    let any = false;
    // Bounded reads, scored in slices with the event loop free between them; then a poll for rotation/truncation.
    for (let batch = await entry.tail.read(READ_BYTES); ; batch = await entry.tail.read(READ_BYTES)) {
      const lines = batch.length > 0 ? batch : await entry.tail.poll();
      if (lines.length === 0) break;
      any = true;
      for (let at = 0; at < lines.length; at += PIECE_LINES)
        add(await entry.scorer.score(lines.slice(at, at + PIECE_LINES)));
    }
    // A query shows every line read: those a system log's scorer holds for its open minute come back as they stand.
    if (any) add(entry.scorer.flush());
    if (!any && entry.scorer.holding > 0) {
      add(entry.scorer.end());
      entry.scorer = this.scorerOf(entry.file, entry.detector);
    }
  }
}
