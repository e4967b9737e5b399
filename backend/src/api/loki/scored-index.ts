import { stat } from 'node:fs/promises';
import { anomalyFields } from '../../logql/ast.js';
import type { Row } from '../../logql/stages.js';
import type { Scorer } from '../../pipeline/index.js';
import { lineClock, SAMPLE_LINES, type FileStream } from '../../sources/file.js';
import { msToNs, nsToMs } from '../../stream.js';
import type { SourceEntry } from '../../sources/index.js';
import type { FileTail } from '../../sources/tail.js';
import type { DetectorKind, ScoredLine } from '../../types.js';
import type { AppContext } from '../../service/context.js';
import { withServiceName } from '../../logql/derived.js';
import { LevelReader } from './streams.js';

/** A scorer that remembers which entry each scored line came from (lines come back in input order, maybe later). */
export class OrderedScorer {
  private readonly queue: SourceEntry[] = [];
  private head = 0;

  constructor(private readonly scorer: Scorer) {}

  push(entry: SourceEntry): { entry: SourceEntry; scored: ScoredLine }[] {
    this.queue.push(entry);
    return this.pair(this.scorer.push(entry.line, nsToMs(entry.ts)));
  }

  end(): { entry: SourceEntry; scored: ScoredLine }[] {
    return this.pair(this.scorer.end());
  }

  /** Lines pushed whose scores are not final yet (open sessions). */
  held(): number {
    return this.queue.length - this.head;
  }

  private pair(lines: ScoredLine[]) {
    const out: { entry: SourceEntry; scored: ScoredLine }[] = [];
    for (const scored of lines) {
      while (this.head < this.queue.length && this.queue[this.head].line !== scored.line) this.head++; // dropped (a CSV header)
      if (this.head < this.queue.length) out.push({ entry: this.queue[this.head++], scored });
    }
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    return out;
  }
}

interface Indexed {
  key: string;
  path: string;
  /** Bytes of the lines held (the LRU's measure). */
  bytes: number;
  lastUsed: number;
  model: unknown;
  tail: FileTail;
  clock?: (line: string) => number;
  levels?: LevelReader;
  scorer: OrderedScorer;
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
const PRUNE_MS = 2_000;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

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
    const model = this.ctx.models.get(route.model);
    let entry = this.files.get(key);
    if (!entry || entry.model !== model) {
      await entry?.tail.close();
      const scorer = new OrderedScorer(this.ctx.models.scorerFor(file.labels, detector));
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

  private async update(file: FileStream, entry: Indexed, detector?: DetectorKind) {
    const stream = withServiceName(file.labels);
    const add = (pairs: { entry: SourceEntry; scored: ScoredLine }[]) => {
      const levels = entry.levels!;
      for (const { entry: e, scored } of pairs) {
        entry.rows.push({
          stream,
          ts: e.ts,
          line: e.line,
          fields: { ...anomalyFields(scored), ...levels.fields(e.line) },
          parsed: {},
        });
        entry.bytes += e.line.length + 200;
      }
    };
    let any = false;
    // Bounded reads, scored in slices with the event loop free between them; then a poll for rotation/truncation.
    for (let batch = await entry.tail.read(READ_BYTES); ; batch = await entry.tail.read(READ_BYTES)) {
      const lines = batch.length > 0 ? batch.map((l) => l.line) : (await entry.tail.poll()).map((l) => l.line);
      if (lines.length === 0) break;
      any = true;
      entry.clock ??= lineClock(file, lines.slice(0, SAMPLE_LINES), Date.now);
      entry.levels ??= new LevelReader(lines.slice(0, 100));
      let sliceStart = performance.now();
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i];
        add(entry.scorer.push({ labels: file.labels, ts: msToNs(entry.clock(line)), line }));
        if ((i & 63) === 63 && performance.now() - sliceStart > SLICE_MS) {
          await yieldToLoop();
          sliceStart = performance.now();
        }
      }
      if (entry.rows.length > MAX_ROWS_PER_FILE) {
        const cut = entry.rows.length - MAX_ROWS_PER_FILE;
        for (let i = 0; i < cut; i++) entry.bytes -= entry.rows[i].line.length + 200;
        entry.rows.splice(0, cut);
      }
    }
    if (!any && entry.scorer.held() > 0) {
      add(entry.scorer.end());
      entry.scorer = new OrderedScorer(this.ctx.models.scorerFor(file.labels, detector));
    }
  }
}
