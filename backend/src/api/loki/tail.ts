import type { LogQuery } from '../../logql/ast.js';
import { parseLogQuery } from '../../logql/parse.js';
import type { Row } from '../../logql/stages.js';
import type { AppContext } from '../../service/context.js';
import { NoModelError } from '../../service/registry.js';
import { streamKey, type Labels } from '../../stream.js';
import type { DetectorKind } from '../../types.js';
import { Deadline, QueryStopped } from './deadline.js';
import { scoredRows } from './execute.js';
import { streamsResult } from './format.js';
import {
  BadRequest,
  checkLogLimit,
  checkRange,
  HOUR_NS,
  limitOf,
  nowNs,
  parseTime,
  queryText,
  type Limits,
} from './params.js';

const NS_PER_S = 1_000_000_000n;
/** Loki refuses a `delay_for` over 5 seconds. */
const MAX_DELAY_S = 5;
/** New rows are read this often, as Loki's tailer checks its ingesters about every second. */
export const TAIL_POLL_MS = 500;
/**
 * Each poll reads again this far behind the last one: an access log stamps whole seconds, so a line written 0.9 s
 * into a second carries a time before the previous poll's end. Rows sent already are recognised and skipped.
 */
const OVERLAP_NS = 3n * NS_PER_S;
/** The rows of the overlap a tail remembers at most, in messages' worth (`maxLines` each). */
const OVERLAP_ROWS = 4;
/** A client this far behind in reading (bytes queued on its socket) gets the next rows as dropped_entries. */
const MAX_BUFFERED_BYTES = 4 << 20;

export interface TailParams {
  log: LogQuery;
  start: bigint;
  delayNs: bigint;
  limit: number;
}

/** Loki's tail parameters: `query`, `delay_for` (seconds, 0..5), `limit` (default 100), `start` (default 1 h ago). */
export function tailParams(params: URLSearchParams, limits: Limits): TailParams {
  const log = parseLogQuery(queryText(params));
  const delayText = params.get('delay_for') ?? '0';
  const delay = Number(delayText);
  if (!Number.isInteger(delay) || delay < 0 || delay > MAX_DELAY_S)
    throw new BadRequest(`invalid delay_for "${delayText}": whole seconds from 0 to ${MAX_DELAY_S}`);
  const limit = limitOf(params, limits);
  checkLogLimit(limit, limits);
  const now = nowNs();
  const start = parseTime(params.get('start'), now - HOUR_NS, 'start');
  checkRange(start, now, limits); // the backlog reads from start: no further back than a query may
  return { log, start, delayNs: BigInt(delay) * NS_PER_S, limit };
}

/** Loki's tail message: the new entries, and the ones left out (`null` when none, as Loki writes it). */
export interface TailMessage {
  streams: ReturnType<typeof streamsResult>;
  dropped_entries: DroppedEntry[] | null;
}

/** A row left out of a tail, as Loki reports it: its stream and its time in nanoseconds. */
export interface DroppedEntry {
  labels: Labels;
  timestamp: string;
}

/** The socket a tail writes to: what `ws`'s WebSocket offers. */
export interface TailSocket {
  send(text: string): void;
  close(code: number, reason: string): void;
  readonly bufferedAmount: number;
}

/** The open tails of each app context: their number is bounded by `server.limits.tailConnections`. */
const open = new WeakMap<AppContext, Set<LiveTail>>();

/** A tail refused because `server.limits.tailConnections` are open (429). */
export class TooManyTails extends Error {
  override name = 'TooManyTails';
}

/**
 * One live tail: the newest `limit` rows since `start` first, then every TAIL_POLL_MS the rows that appeared since,
 * read through the same query executor as query_range (so scored and filtered alike). Per connection it holds the
 * keys of rows sent in the last OVERLAP_NS and at most `server.limits.maxLines` rows a message; more rows than that
 * in one poll, or a client not reading, become `dropped_entries`.
 */
export class LiveTail {
  private readonly stopped = new AbortController();
  /** Rows sent (or dropped) by their timestamp: stream + line -> how many, to skip them when read again. */
  private sent = new Map<bigint, Map<string, number>>();
  private readEnd: bigint;
  /** `sent` knows every row sent at or after this time: a poll reads again no further back. */
  private known: bigint;
  /** Rows left out since the last message reached the socket, as Loki lists them (the newest `maxLines`). */
  private dropped: DroppedEntry[] = [];
  private timer?: NodeJS.Timeout;
  private socket?: TailSocket;

  constructor(
    private readonly ctx: AppContext,
    private readonly p: TailParams,
    private readonly opts: { detector?: DetectorKind; categorize: boolean },
  ) {
    const tails = open.get(ctx) ?? open.set(ctx, new Set()).get(ctx)!;
    if (tails.size >= ctx.config.server.limits.tailConnections)
      throw new TooManyTails(
        `too many live tails: ${ctx.config.server.limits.tailConnections} are open (server.limits.tailConnections); close one or try later`,
      );
    // Its place is taken at once, so tails connecting together cannot all pass the check while their backlogs run.
    tails.add(this);
    this.readEnd = p.start;
    this.known = p.start;
  }

  /** The first message: the newest `limit` rows from `start` to now, oldest first. */
  async backlog(): Promise<TailMessage> {
    const end = this.windowEnd();
    const rows = await scoredRows(
      this.ctx,
      this.p.log,
      { start: this.p.start, end },
      this.opts.detector,
      undefined,
      this.deadline(),
    );
    // Every row of the overlap counts as handled, sent or left out by `limit` (older than the newest `limit`, as
    // Loki's tail leaves them out too): the first poll reads the overlap again and sends only what is new.
    const recent = rows.filter((r) => r.ts >= end - OVERLAP_NS);
    if (recent.length <= OVERLAP_ROWS * this.ctx.config.server.limits.maxLines) this.remember(recent);
    else this.known = end; // a flood: lines of the overlap arriving late are not sent (memory stays bounded)
    this.readEnd = end;
    return { streams: streamsResult(rows.slice(-this.p.limit), this.opts.categorize), dropped_entries: null };
  }

  /** Sends `first`, then polls until stop() (the client closed) or the server closes the socket. */
  run(socket: TailSocket, first: TailMessage): void {
    this.socket = socket;
    if (first.streams.length > 0) socket.send(JSON.stringify(first));
    const loop = async () => {
      try {
        await this.poll();
      } catch (err) {
        if (err instanceof QueryStopped && this.stopped.signal.aborted) return;
        this.ctx.log.warn({ err: (err as Error).message }, 'live tail stopped');
        socket.close(1011, reason(err instanceof QueryStopped ? err.message : 'internal error'));
        this.stop();
        return;
      }
      if (!this.stopped.signal.aborted) this.timer = setTimeout(loop, TAIL_POLL_MS);
    };
    this.timer = setTimeout(loop, TAIL_POLL_MS);
  }

  /** Ends the polling and frees the connection's place (the client closed, or the server stops). */
  stop(): void {
    this.stopped.abort();
    clearTimeout(this.timer);
    open.get(this.ctx)?.delete(this);
    this.sent.clear();
  }

  /** The open tails of a context (the server closes them when it stops). */
  static openOn(ctx: AppContext): readonly LiveTail[] {
    return [...(open.get(ctx) ?? [])];
  }

  /** Closes the socket with a reason (going away: the server stops). */
  close(code: number, why: string): void {
    this.socket?.close(code, reason(why));
    this.stop();
  }

  private async poll() {
    const end = this.windowEnd();
    const start = this.readEnd - OVERLAP_NS > this.known ? this.readEnd - OVERLAP_NS : this.known;
    let rows: Row[];
    try {
      rows = await scoredRows(this.ctx, this.p.log, { start, end }, this.opts.detector, undefined, this.deadline());
    } catch (err) {
      if (!(err instanceof NoModelError)) throw err;
      rows = []; // no selected stream has a model yet: keep waiting, one may be installed
    }
    if (this.stopped.signal.aborted) return;
    const fresh = this.unsent(rows);
    const { maxLines } = this.ctx.config.server.limits;
    // A client that does not read gets nothing more on its socket: its rows wait as dropped entries (at most maxLines).
    const reading = (this.socket?.bufferedAmount ?? 0) <= MAX_BUFFERED_BYTES;
    const dropped = fresh.slice(0, Math.max(0, fresh.length - (reading ? maxLines : 0)));
    const kept = fresh.slice(dropped.length);
    if (dropped.length > 0) {
      // More than one message holds: the overlap is given up (nothing older is read again), so memory stays bounded.
      this.sent.clear();
      this.known = end;
      this.dropped.push(...dropped.slice(-maxLines).map((r) => ({ labels: r.stream, timestamp: r.ts.toString() })));
      this.dropped.splice(0, Math.max(0, this.dropped.length - maxLines));
    } else {
      this.remember(kept);
      for (const ts of this.sent.keys()) if (ts < end - OVERLAP_NS) this.sent.delete(ts);
    }
    this.readEnd = end;
    if (!reading || (kept.length === 0 && this.dropped.length === 0)) return;
    const message: TailMessage = {
      streams: streamsResult(kept, this.opts.categorize),
      dropped_entries: this.dropped.length === 0 ? null : this.dropped,
    };
    this.dropped = [];
    this.socket?.send(JSON.stringify(message));
  }

  /** Rows not sent before, in time order (a row read again in the overlap is recognised by time, stream and line). */
  private unsent(rows: readonly Row[]): Row[] {
    const seen = new Map<string, number>();
    const out: Row[] = [];
    for (const row of rows) {
      const sentAt = this.sent.get(row.ts);
      if (sentAt) {
        const key = rowKey(row);
        const n = (seen.get(key) ?? 0) + 1;
        seen.set(key, n);
        if (n <= (sentAt.get(key) ?? 0)) continue;
      }
      out.push(row);
    }
    return out;
  }

  private remember(rows: readonly Row[]) {
    for (const row of rows) {
      const at = this.sent.get(row.ts) ?? this.sent.set(row.ts, new Map()).get(row.ts)!;
      const key = rowKey(row);
      at.set(key, (at.get(key) ?? 0) + 1);
    }
  }

  private windowEnd(): bigint {
    return nowNs() - this.p.delayNs + 1n;
  }

  private deadline(): Deadline {
    return new Deadline(this.ctx.config.server.limits.queryTimeoutMs, this.stopped.signal);
  }
}

const rowKey = (row: Row) => `${streamKey(row.stream)}\u0000${row.line}`;

/** A websocket close reason holds at most 123 bytes. */
const reason = (text: string) =>
  Buffer.from(text)
    .subarray(0, 123)
    .toString()
    .replace(/\uFFFD$/, '');
