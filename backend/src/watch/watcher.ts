import { stat } from 'node:fs/promises';
import type { AppContext } from '../service/context.js';
import { parseSelector, type LabelMatcher } from '../logql/selector.js';
import { NoModelError } from '../service/registry.js';
import { StreamScorer } from '../service/stream-scoring.js';
import { fileIdentity } from '../service/scored-files.js';
import type { Covered, FileItem, StreamItem, StreamResult } from '../service/types.js';
import type { FeedbackStore } from '../service/feedback.js';
import type { DetectorKind, FormatName } from '../types.js';
import type { FileStream } from '../sources/file.js';
import { inShard, msToNs, nsToMs, streamKey, type Labels } from '../stream.js';
import type { SourceEntry } from '../sources/index.js';
import type { TailLine } from '../sources/tail.js';
import { emptyCheckpoint, loadCheckpoint, saveCheckpoint, type Checkpoint } from './checkpoint.js';
import { FileSet, type Followed } from './files.js';
import { consoleSink, lokiSink, type Anomaly, type AnomalySink } from './sinks.js';

export { consoleSink, lokiSink, type Anomaly, type AnomalySink } from './sinks.js';
export { loadCheckpoint, saveCheckpoint, type Checkpoint } from './checkpoint.js';

export interface WatcherOptions {
  /** Where anomalies go; default: Loki at watch.push.url, or the console when that is empty. */
  sink?: AnomalySink;
  /** Where a stream without a checkpoint starts: its end (default, only new lines) or its start. */
  from?: 'start' | 'end';
  intervalMs?: number;
  /** Exponential backoff while the sink (or Loki as a source) fails. */
  backoff?: { initialMs: number; maxMs: number };
  /**
   * Bytes of file lines read, scored and delivered per cycle (default 1 MiB): a backlog of any size goes through in
   * bounded batches, one checkpoint each, with the event loop free between them.
   */
  batchBytes?: number;
  /** How long a rotated-away or deleted file is still read after it last grew (default 5 s). */
  rotateWaitMs?: number;
  /**
   * A stream that sent nothing for this long has the lines its scorer holds flushed (default 60 s): a system log's
   * lines wait for their minute to close (bursts), a session's for its end, and a stream gone quiet has no next line
   * to close them.
   */
  idleFlushMs?: number;
}

/** A batch read and scored but not yet delivered (or its checkpoint not yet saved): retried as it is. */
interface Pending {
  anomalies: Anomaly[];
  checkpoint: Checkpoint;
  /** More was waiting to be read when the batch was cut. */
  more: boolean;
}

/**
 * A line given to its stream's scoring loop. Until the loop returns it the checkpoint stays before it; its anomaly's
 * push timestamp is derived from the source line alone (Loki's timestamp, or the file line's own time plus its byte
 * offset), so a replay pushes the same one.
 */
interface WatchItem extends StreamItem {
  /** Loki's timestamp of the line. */
  ns?: bigint;
  followed?: Followed;
  /** The followed file's identity when the line was read (a truncated file gets another). */
  identity?: string;
  /** Byte offsets of a file line: where it starts, and where the next one does. */
  start?: number;
  end?: number;
}

const HOUR_NS = 3_600_000_000_000n;
const BATCH_BYTES = 1 << 20;
/** Lines read from Loki per selector and cycle (more at the same nanosecond as the last are read with it). */
const LOKI_BATCH_LINES = 10_000;

/**
 * The real-time loop: tails the watched streams (files by following them, Loki by polling query_range with a
 * cursor), scores every line, sends the anomalies, then checkpoints. The checkpoint only moves after a delivery, and
 * only past lines the scorers have returned, so a restart resumes where the last delivery ended: no gap. A line
 * replayed after a crash between delivery and checkpoint is pushed with the same timestamp, which Loki drops as a
 * duplicate (same stream, timestamp and line): no duplicate.
 */
export class Watcher {
  private readonly selectors: { text: string; matchers: LabelMatcher[] }[];
  private readonly sink: AnomalySink;
  private fileSet?: FileSet;
  private readonly scorers = new Map<string, StreamScorer<WatchItem> | null>();
  /** When each stream was last given lines (wall clock): see flushIdle. */
  private readonly fed = new Map<string, number>();
  private pending?: Pending;
  private more = false;
  private lokiBehind = false;
  private failures = 0;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  private constructor(
    private readonly ctx: AppContext,
    private checkpoint: Checkpoint,
    private readonly opts: WatcherOptions,
  ) {
    this.selectors = ctx.config.watch.streams.map((text) => ({ text, matchers: parseSelector(text) }));
    const push = ctx.config.watch.push.url;
    this.sink = opts.sink ?? (push ? lokiSink(push, ctx.config.sources.loki) : consoleSink());
  }

  static async open(ctx: AppContext, opts: WatcherOptions = {}): Promise<Watcher> {
    const path = ctx.config.watch.checkpoint;
    const savedAt = await stat(path).then(
      (st) => st.mtimeMs,
      () => undefined,
    );
    const watcher = new Watcher(ctx, await loadCheckpoint(path), opts);
    watcher.savedAt = savedAt;
    return watcher;
  }

  /**
   * When the checkpoint was saved, if there was one: this is a restart, and a file it does not know appeared since
   * the last run.
   */
  private savedAt?: number;

  /** Runs cycles until stop(): every interval (at once while a backlog remains), or after the backoff when one failed. */
  start(): void {
    const loop = async () => {
      if (this.stopped) return;
      let ok = false;
      try {
        ok = await this.cycle();
      } catch (err) {
        this.failures++;
        this.ctx.log.error({ err: (err as Error).message }, 'watcher cycle failed, retrying');
      }
      if (this.stopped) return;
      const delay = !ok ? this.backoffMs() : this.more ? 0 : (this.opts.intervalMs ?? this.ctx.config.watch.interval);
      this.timer = setTimeout(() => (this.running = loop()), delay);
    };
    this.running = loop();
  }

  /** True while a backlog remains to be read (the last batch was cut at `batchBytes`). */
  get behind(): boolean {
    return this.more;
  }

  /**
   * One pass: read a batch (unless an undelivered one waits), deliver, checkpoint. False when it failed: a read
   * failure rewinds the files to the last checkpoint, a delivery or checkpoint failure keeps the batch for the next try.
   */
  async cycle(): Promise<boolean> {
    if (!this.pending) {
      try {
        this.pending = await this.read();
      } catch (err) {
        this.failures++;
        this.ctx.log.warn(
          { err: (err as Error).message, retryInMs: this.backoffMs() },
          'watcher cannot read its sources',
        );
        await this.rewind();
        return false;
      }
    }
    try {
      if (this.pending.anomalies.length > 0) await this.sink.send(this.pending.anomalies);
    } catch (err) {
      this.failures++;
      this.ctx.metrics.sourceErrors.inc({ source: 'push' });
      this.ctx.log.warn(
        { err: (err as Error).message, held: this.pending.anomalies.length, retryInMs: this.backoffMs() },
        'anomalies not delivered, retrying',
      );
      return false;
    }
    this.pending.anomalies = [];
    try {
      await saveCheckpoint(this.ctx.config.watch.checkpoint, this.pending.checkpoint);
    } catch (err) {
      this.failures++;
      this.ctx.metrics.sourceErrors.inc({ source: 'checkpoint' });
      this.ctx.log.error(
        { err: (err as Error).message, path: this.ctx.config.watch.checkpoint, retryInMs: this.backoffMs() },
        'watcher checkpoint not saved (disk full or not writable?); reading paused, retrying',
      );
      return false;
    }
    this.failures = 0;
    this.checkpoint = this.pending.checkpoint;
    this.more = this.pending.more;
    this.pending = undefined;
    return true;
  }

  /** The delay before the next try after consecutive failures: doubling from `initialMs`, capped at `maxMs`. */
  backoffMs(): number {
    const { initialMs, maxMs } = this.opts.backoff ?? { initialMs: 500, maxMs: 30_000 };
    return Math.min(maxMs, initialMs * 2 ** Math.max(0, this.failures - 1));
  }

  /**
   * Stops the loop and delivers what open sessions still hold. An undelivered batch stays undelivered and is read
   * again after a restart (the checkpoint is before it).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    if (!this.pending) {
      const held: Anomaly[] = [];
      for (const scorer of this.scorers.values()) if (scorer) this.deliver(scorer.labels, scorer.end(), held);
      if (held.length > 0) {
        await this.sink.send(held).catch((err: Error) => {
          this.ctx.log.warn(
            { err: err.message, lost: held.length },
            'anomalies of open sessions not delivered at stop',
          );
        });
      }
    }
    this.ctx.scoredFiles.follow(new Map());
    await this.fileSet?.close();
    this.fileSet = undefined;
  }

  /** After a failed read: forget what was read since the checkpoint; the next cycle reads it again from there. */
  private async rewind() {
    this.ctx.scoredFiles.follow(new Map());
    await this.fileSet?.close();
    this.fileSet = undefined;
    this.scorers.clear();
  }

  private async read(): Promise<Pending> {
    const next: Checkpoint = { ...emptyCheckpoint(), loki: structuredClone(this.checkpoint.loki) };
    const anomalies: Anomaly[] = [];
    this.flushIdle(anomalies);
    const more = this.ctx.sources.file ? await this.readFiles(next, anomalies) : false;
    this.lokiBehind = false;
    if (this.ctx.sources.loki) await this.readLoki(next, anomalies);
    return { anomalies, checkpoint: next, more: more || this.lokiBehind };
  }

  private async readFiles(next: Checkpoint, out: Anomaly[]): Promise<boolean> {
    const saved = this.checkpoint.files;
    if (!this.fileSet) this.ctx.scoredFiles.starting();
    this.fileSet ??= new FileSet(
      this.ctx.sources.file!,
      this.selectors.map((s) => s.matchers),
      new Map(Object.entries(saved)),
      {
        // After a restart every file the checkpoint does not know is new since the last run: read it whole.
        from: this.savedAt !== undefined ? 'start' : (this.opts.from ?? 'end'),
        since: this.savedAt,
        rotateWaitMs: this.opts.rotateWaitMs ?? 5_000,
        shard: this.ctx.config.watch.shard,
      },
    );
    const more = await this.fileSet.read(this.opts.batchBytes ?? BATCH_BYTES, (followed, lines) =>
      this.scoreFile(followed, lines, out),
    );
    const oldestHeld = new Map<Followed, number>();
    for (const scorer of this.scorers.values()) {
      if (!scorer?.holding) continue;
      for (const h of scorer.held()) {
        if (h.followed && h.start !== undefined && !(oldestHeld.get(h.followed)! <= h.start))
          oldestHeld.set(h.followed, h.start);
      }
    }
    // The query index takes this watcher's lines of the files it scores, and scores before `offset` by itself.
    const covered = new Map<string, Covered>();
    for (const f of this.fileSet.files()) {
      const { ino, fp, offset } = f.tail.position();
      const identity = fileIdentity(ino, fp);
      next.files[identity] = { file: f.file, ino, fp, offset: oldestHeld.get(f) ?? offset };
      const detector = this.scoredDetector(f.file);
      if (detector) covered.set(identity, { detector, offset: next.files[identity].offset });
    }
    this.ctx.scoredFiles.follow(covered);
    return more;
  }

  private async scoreFile(followed: Followed, lines: readonly TailLine[], out: Anomaly[]) {
    const identity = fileIdentity(followed.ino, followed.fp);
    const detector = this.scoredDetector(followed.file);
    if (detector) this.ctx.scoredFiles.begin(identity, { detector, offset: lines[0].start });
    const items = lines.map((l): WatchItem => ({
      line: l.line,
      followed,
      identity,
      start: l.start,
      end: l.end,
    }));
    await this.score(followed.file, items, out);
  }

  /** The detector a file's stream is scored with here; undefined when it is not (no model for it). */
  private scoredDetector(file: FileStream): DetectorKind | undefined {
    return this.scorers.get(streamKey(file.labels)) === null ? undefined : this.ctx.models.route(file.labels).detector;
  }

  private async readLoki(next: Checkpoint, out: Anomaly[]) {
    const source = this.ctx.sources.loki!;
    const now = BigInt(Date.now()) * 1_000_000n;
    for (const { text, matchers } of this.selectors) {
      const cursor = next.loki[text] ?? { ts: String(this.opts.from === 'start' ? now - HOUR_NS : now), seen: [] };
      const from = BigInt(cursor.ts);
      const seen = new Set(cursor.seen);
      const entries: SourceEntry[] = [];
      let passed = from; // the newest line read and left to others (our own pushes, other shards' streams)
      for await (const e of source.read({
        selector: matchers,
        lineFilters: [],
        start: from,
        end: now + 1n,
        direction: 'forward',
      })) {
        // Our own derived streams, and (scale-out) the streams of other replicas, are not ours to score.
        if (e.labels.service_name === 'anomalog' || !inShard(e.labels, this.ctx.config.watch.shard)) {
          if (e.ts > passed) passed = e.ts;
          continue;
        }
        if (e.ts === from && seen.has(entryKey(e))) continue;
        // Bounded as files are: the rest comes next cycle, from the cursor (lines at its nanosecond are in `seen`).
        if (entries.length >= LOKI_BATCH_LINES && e.ts !== entries[entries.length - 1].ts) {
          this.lokiBehind = true;
          break;
        }
        entries.push(e);
      }
      const last = entries.reduce((max, e) => (e.ts > max ? e.ts : max), from);
      if (passed > last) {
        // Past the lines left to others: a replica whose own streams are quiet does not read the others' again.
        next.loki[text] = { ts: String(passed), seen: [] };
      } else if (entries.length > 0) {
        const atLast = entries.filter((e) => e.ts === last).map(entryKey);
        next.loki[text] = { ts: String(last), seen: last === from ? [...seen, ...atLast] : atLast };
      }
      if (entries.length === 0) continue;
      const byStream = new Map<string, SourceEntry[]>();
      for (const e of entries)
        (byStream.get(streamKey(e.labels)) ?? byStream.set(streamKey(e.labels), []).get(streamKey(e.labels))!).push(e);
      for (const list of byStream.values()) {
        const items = list.map((e): WatchItem => ({ line: e.line, ms: nsToMs(e.ts), ns: e.ts }));
        await this.score({ labels: list[0].labels }, items, out);
      }
    }
  }

  /** Delivers what the scorers of streams quiet for `idleFlushMs` still hold (closing their minutes and sessions). */
  private flushIdle(out: Anomaly[]) {
    const idleSince = Date.now() - (this.opts.idleFlushMs ?? 60_000);
    for (const [key, scorer] of this.scorers) {
      if (scorer?.holding && this.fed.get(key)! <= idleSince) this.deliver(scorer.labels, scorer.end(), out);
    }
  }

  /** Scores one stream's new lines in order (the stream's scoring loop yields to the API between batches). */
  private async score(
    stream: { labels: Labels; format?: FormatName | 'auto'; pattern?: string },
    items: WatchItem[],
    out: Anomaly[],
  ) {
    const key = streamKey(stream.labels);
    let scorer = this.scorers.get(key);
    if (scorer === undefined) {
      scorer = new StreamScorer<WatchItem>(this.ctx, stream.labels, { ...stream, fallback: Date.now });
      this.scorers.set(key, scorer);
    }
    if (!scorer) return;
    this.fed.set(key, Date.now());
    let results;
    try {
      results = await scorer.score(items);
    } catch (err) {
      if (!(err instanceof NoModelError)) throw err;
      this.ctx.log.warn({ stream: key, err: err.message }, 'stream not watched: no model for it');
      this.scorers.set(key, null);
      return;
    }
    const newest = this.deliver(stream.labels, results, out);
    // A scorer holding every line of the batch (an open minute, open sessions) says nothing of the lag yet.
    if (newest > 0)
      this.ctx.metrics.watcherLag.set(
        { stream: this.ctx.metrics.streamLabel.value(key) },
        Math.max(0, (Date.now() - newest) / 1000),
      );
  }

  /**
   * Hands a stream's scored lines over: file lines to the query index when the API runs in this process (the model's
   * own verdicts, as the index keeps them), and the anomalies among them, with the feedback in effect, to `out`.
   * Returns the newest line time.
   */
  private deliver(labels: Labels, results: readonly StreamResult<WatchItem>[], out: Anomaly[]): number {
    try {
      if (this.ctx.scoredFiles.listened) this.publish(labels, results);
    } catch (err) {
      // Never the deliveries' failure: the index scores what it did not take at its next query.
      this.ctx.log.warn({ err: (err as Error).message }, 'the query index did not take the scored lines');
    }
    return collect(results, this.ctx.models.feedback, out);
  }

  /** The file lines among `results` to the query index, a run of lines of one file at a time. */
  private publish(labels: Labels, results: readonly StreamResult<WatchItem>[]) {
    const detector = this.ctx.models.route(labels).detector;
    for (let at = 0; at < results.length;) {
      const { followed, identity } = results[at].item;
      let to = at + 1;
      while (to < results.length && results[to].item.identity === identity) to++;
      // File lines always carry `start` and `end` (scoreFile); Loki's lines are not the index's.
      if (followed && identity) {
        const run = results.slice(at, to) as StreamResult<FileItem>[];
        this.ctx.scoredFiles.publish({ file: followed.file, identity, detector, results: run });
      }
      at = to;
    }
  }
}

/**
 * Adds the anomalies among `results`, with the feedback in effect, to `out`, each with its source line's push
 * timestamp; returns the newest time.
 */
function collect(results: readonly StreamResult<WatchItem>[], feedback: FeedbackStore, out: Anomaly[]): number {
  let newest = 0;
  for (const { item, ms, scored } of results) {
    if (ms > newest) newest = ms;
    if (!scored) continue;
    const line = feedback.apply(scored);
    if (!line.anomaly) continue;
    // The line's own time, plus its byte offset below the millisecond: the same line gets the same nanosecond every
    // time it is read, and lines of one millisecond do not collide.
    out.push({ ts: item.ns ?? msToNs(ms) + BigInt((item.start ?? 0) % 1_000_000), scored: line });
  }
  return newest;
}

const entryKey = (e: SourceEntry) => `${streamKey(e.labels)}\u0000${e.line}`;
