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

/**
 * Scored lines of the file source, kept in memory so a query does not re-score whole files: each query scores only
 * what was appended since the last one. A file that went quiet has its open sessions flushed, so static files are
 * complete. A retrained model (a new model object) re-scores the file from its start.
 */
export class ScoredFileIndex {
  private readonly files = new Map<string, Indexed>();

  constructor(private readonly ctx: AppContext) {}

  /** Every scored row of the file so far, in file order (fields set, nothing parsed yet). */
  async rows(file: FileStream, detector?: DetectorKind): Promise<readonly Row[]> {
    const route = this.ctx.models.route(file.labels, detector);
    const key = `${file.path}\u0000${route.detector}`;
    const model = this.ctx.models.get(route.model);
    let entry = this.files.get(key);
    if (!entry || entry.model !== model) {
      await entry?.tail.close();
      const scorer = new OrderedScorer(this.ctx.models.scorerFor(file.labels, detector));
      const tail = this.ctx.sources.file!.tail(file);
      await tail.open('start');
      entry = { model, tail, scorer, rows: [], busy: Promise.resolve() };
      this.files.set(key, entry);
    }
    const indexed = entry;
    const update = indexed.busy.then(() => this.update(file, indexed, detector));
    indexed.busy = update.catch(() => undefined);
    await update;
    return indexed.rows;
  }

  private async update(file: FileStream, entry: Indexed, detector?: DetectorKind) {
    const lines = (await entry.tail.poll()).map((l) => l.line);
    const stream = withServiceName(file.labels);
    const add = (pairs: { entry: SourceEntry; scored: ScoredLine }[]) => {
      const levels = (entry.levels ??= new LevelReader(lines.slice(0, 100)));
      for (const { entry: e, scored } of pairs) {
        entry.rows.push({ stream, ts: e.ts, line: e.line, fields: { ...anomalyFields(scored), ...levels.fields(e.line) }, parsed: {} });
      }
    };
    if (lines.length === 0) {
      if (entry.scorer.held() > 0) {
        add(entry.scorer.end());
        entry.scorer = new OrderedScorer(this.ctx.models.scorerFor(file.labels, detector));
      }
      return;
    }
    entry.clock ??= lineClock(file, lines.slice(0, SAMPLE_LINES), Date.now);
    for (const line of lines) add(entry.scorer.push({ labels: file.labels, ts: msToNs(entry.clock(line)), line }));
    if (entry.rows.length > MAX_ROWS_PER_FILE) entry.rows.splice(0, entry.rows.length - MAX_ROWS_PER_FILE);
  }
}
