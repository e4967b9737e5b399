import type { AppContext } from '../service/context.js';
import { parseSelector, type LabelMatcher } from '../logql/selector.js';
import type { Scorer } from '../pipeline/index.js';
import { lineClock, SAMPLE_LINES, type FileStream } from '../sources/file.js';
import { msToNs, nsToMs, streamKey, type Labels } from '../stream.js';
import type { SourceEntry } from '../sources/index.js';
import type { FileTail } from '../sources/tail.js';
import { loadCheckpoint, saveCheckpoint, type Checkpoint } from './checkpoint.js';
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
}

interface FollowedFile {
  file: FileStream;
  tail: FileTail;
  clock?: (line: string) => number;
}

/** A batch read and scored but not yet delivered: retried as it is until the sink takes it. */
interface Pending {
  anomalies: Anomaly[];
  checkpoint: Checkpoint;
}

const HOUR_NS = 3_600_000_000_000n;

/**
 * The real-time loop: tails the watched streams (files by following them, Loki by polling query_range with a
 * cursor), scores every line, sends the anomalies, then checkpoints. The checkpoint only moves after a delivery, so a
 * restart resumes exactly where the last delivery ended: no gap, no duplicate.
 */
export class Watcher {
  private readonly selectors: { text: string; matchers: LabelMatcher[] }[];
  private readonly sink: AnomalySink;
  private readonly files = new Map<string, FollowedFile>();
  private readonly scorers = new Map<string, Scorer | null>();
  private readonly lastSent = new Map<string, bigint>();
  private pending?: Pending;
  private failures = 0;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private scanned = false;

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
    return new Watcher(ctx, await loadCheckpoint(ctx.config.watch.checkpoint), opts);
  }

  /** Runs cycles until stop(): every interval, or after the backoff delay when a cycle failed. */
  start(): void {
    const loop = async () => {
      if (this.stopped) return;
      const ok = await this.cycle();
      if (this.stopped) return;
      this.timer = setTimeout(() => (this.running = loop()), ok ? (this.opts.intervalMs ?? this.ctx.config.watch.interval) : this.backoffMs());
    };
    this.running = loop();
  }

  /** One pass: read what is new (unless an undelivered batch waits), deliver, checkpoint. False when it failed. */
  async cycle(): Promise<boolean> {
    try {
      this.pending ??= await this.read();
    } catch (err) {
      this.failures++;
      this.ctx.log.warn({ err: (err as Error).message, retryInMs: this.backoffMs() }, 'watcher cannot read its sources');
      return false;
    }
    try {
      if (this.pending.anomalies.length > 0) await this.sink.send(this.pending.anomalies);
    } catch (err) {
      this.failures++;
      this.ctx.metrics.sourceErrors.inc({ source: 'push' });
      this.ctx.log.warn({ err: (err as Error).message, held: this.pending.anomalies.length, retryInMs: this.backoffMs() }, 'anomalies not delivered, retrying');
      return false;
    }
    this.failures = 0;
    await saveCheckpoint(this.ctx.config.watch.checkpoint, this.pending.checkpoint);
    this.checkpoint = this.pending.checkpoint;
    this.pending = undefined;
    return true;
  }

  /** The delay before the next try after consecutive failures: doubling from `initialMs`, capped at `maxMs`. */
  backoffMs(): number {
    const { initialMs, maxMs } = this.opts.backoff ?? { initialMs: 500, maxMs: 30_000 };
    return Math.min(maxMs, initialMs * 2 ** Math.max(0, this.failures - 1));
  }

  /**
   * Stops the loop and delivers what open sessions still hold (once: their lines are already checkpointed). An
   * undelivered batch stays undelivered and is read again after a restart.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    const held = [...this.scorers.values()].flatMap((s) => s?.end() ?? []).filter((s) => s.anomaly);
    if (held.length > 0 && !this.pending) {
      await this.sink.send(held.map((scored) => ({ ts: msToNs(scored.ts), scored }))).catch((err: Error) => {
        this.ctx.log.warn({ err: err.message, lost: held.length }, 'anomalies of open sessions not delivered at stop');
      });
    }
    for (const followed of this.files.values()) await followed.tail.close();
    this.files.clear();
  }

  private async read(): Promise<Pending> {
    const next: Checkpoint = structuredClone(this.checkpoint);
    const anomalies: Anomaly[] = [];
    if (this.ctx.sources.file) await this.readFiles(next, anomalies);
    if (this.ctx.sources.loki) await this.readLoki(next, anomalies);
    return { anomalies, checkpoint: next };
  }

  private async readFiles(next: Checkpoint, out: Anomaly[]) {
    const source = this.ctx.sources.file!;
    for (const { matchers } of this.selectors) {
      for (const file of await source.files(matchers)) {
        let followed = this.files.get(file.path);
        const lines: string[] = [];
        if (!followed) {
          followed = { file, tail: source.tail(file) };
          this.files.set(file.path, followed);
          // Files there at the first scan start at `from`; a file that appears later is new: read it whole.
          const from = next.files[file.path] ?? (this.scanned ? 'start' : (this.opts.from ?? 'end'));
          lines.push(...(await followed.tail.open(from)).map((l) => l.line));
        }
        lines.push(...(await followed.tail.poll()).map((l) => l.line));
        next.files[file.path] = followed.tail.position();
        if (lines.length === 0) continue;
        followed.clock ??= lineClock(file, lines.slice(0, SAMPLE_LINES), Date.now);
        const clock = followed.clock;
        this.score(file.labels, lines.map((line) => ({ labels: file.labels, ts: msToNs(clock(line)), line })), out);
      }
    }
    this.scanned = true;
  }

  private async readLoki(next: Checkpoint, out: Anomaly[]) {
    const source = this.ctx.sources.loki!;
    const now = BigInt(Date.now()) * 1_000_000n;
    for (const { text, matchers } of this.selectors) {
      const cursor = next.loki[text] ?? { ts: String(this.opts.from === 'start' ? now - HOUR_NS : now), seen: [] };
      const from = BigInt(cursor.ts);
      const seen = new Set(cursor.seen);
      const entries: SourceEntry[] = [];
      for await (const e of source.read({ selector: matchers, lineFilters: [], start: from, end: now + 1n })) {
        if (e.labels.service_name === 'anomalog') continue; // our own derived streams
        if (e.ts === from && seen.has(entryKey(e))) continue;
        entries.push(e);
      }
      if (entries.length === 0) continue;
      const last = entries.reduce((max, e) => (e.ts > max ? e.ts : max), from);
      const atLast = entries.filter((e) => e.ts === last).map(entryKey);
      next.loki[text] = { ts: String(last), seen: last === from ? [...seen, ...atLast] : atLast };
      const byStream = new Map<string, SourceEntry[]>();
      for (const e of entries) (byStream.get(streamKey(e.labels)) ?? byStream.set(streamKey(e.labels), []).get(streamKey(e.labels))!).push(e);
      for (const list of byStream.values()) this.score(list[0].labels, list, out);
    }
  }

  /**
   * Scores one stream's new lines in order. An anomaly keeps its line's timestamp, nudged by a nanosecond when it
   * would repeat the previous one: Loki drops a line identical to another at the same nanosecond in a stream.
   */
  private score(labels: Labels, entries: readonly SourceEntry[], out: Anomaly[]) {
    const scorer = this.scorerFor(labels);
    if (!scorer) return;
    const key = streamKey(labels);
    let newest = 0;
    for (const entry of entries) {
      const ms = nsToMs(entry.ts);
      newest = Math.max(newest, ms);
      for (const scored of scorer.push(entry.line, ms)) {
        if (!scored.anomaly) continue;
        const previous = this.lastSent.get(key) ?? -1n;
        const ts = msToNs(scored.ts) > previous ? msToNs(scored.ts) : previous + 1n;
        this.lastSent.set(key, ts);
        out.push({ ts, scored });
      }
    }
    this.ctx.metrics.watcherLag.set({ stream: key }, Math.max(0, (Date.now() - newest) / 1000));
  }

  private scorerFor(labels: Labels): Scorer | null {
    const key = streamKey(labels);
    let scorer = this.scorers.get(key);
    if (scorer === undefined) {
      try {
        scorer = this.ctx.models.scorerFor(labels);
      } catch (err) {
        this.ctx.log.warn({ stream: key, err: (err as Error).message }, 'stream not watched: no model for it');
        scorer = null;
      }
      this.scorers.set(key, scorer);
    }
    return scorer;
  }
}

const entryKey = (e: SourceEntry) => `${streamKey(e.labels)}\u0000${e.line}`;
