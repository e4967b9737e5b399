import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ANOMALY_FIELDS, isDerivedLabel, LEARNING } from '@anomalog/contract';
import type { ScoredLine } from '../types.js';
import { streamKey } from '../stream.js';

export type FeedbackKind = 'false_positive' | 'confirm';

export interface FeedbackInput {
  kind: FeedbackKind;
  labels: Record<string, string>;
  template: string;
  line?: string;
  score?: number;
  severity?: string;
  detector?: string;
  note?: string;
  /**
   * When the record stops changing severities (ISO time); it still feeds retraining until it is undone. Absent in
   * records written before feedback expired: those never expire.
   */
  expiresAt?: string;
}

export interface FeedbackRecord extends FeedbackInput {
  id: string;
  at: string;
}

/** Takes back a record: the file is append-only, so an undo is a record of its own. */
interface UndoRecord {
  kind: 'undo';
  id: string;
  at: string;
  undoes: string;
}

/** A record as listed: with when it was undone, and whether it changes severities now. */
export interface FeedbackView extends FeedbackRecord {
  undoneAt?: string;
  active: boolean;
}

/**
 * The stream a record belongs to: its labels without the ones the Loki API may have added (the panel sends what it
 * sees, the watcher scores raw stream labels, and both must name the same stream).
 */
export function feedbackStream(labels: Record<string, string>): string {
  return streamKey(Object.fromEntries(Object.entries(labels).filter(([k]) => !isDerivedLabel(k))));
}

const live = (r: FeedbackRecord, now: number) => !r.expiresAt || Date.parse(r.expiresAt) > now;

const suppressionKey = (stream: string, template: string) => `${stream}\u0000${template}`;

/** Feedback records held in memory (as their JSON text): a client posting without end is refused, not obeyed. */
export const MAX_FEEDBACK_BYTES = 64 * 1024 * 1024;

/** What an undone record's id and time cost once the record itself is let go. */
const UNDONE_BYTES = 100;

/** The store holds MAX_FEEDBACK_BYTES of records: a new one is refused until some are undone. */
export class FeedbackFullError extends Error {
  override name = 'FeedbackFullError';
}

/**
 * Feedback persisted as JSON lines. Until it expires or is undone, a false positive ("not an anomaly") suppresses
 * its template for its stream: that stream's lines with that template are reported as normal, the reason saying so;
 * a confirmation ("anomaly") of a normal line flags the template's lines of that stream as medium. The newest record
 * of a stream and template wins. Records not undone feed retraining (training.ts: applyFeedback).
 */
export class FeedbackStore {
  /** The records not undone, by id, oldest first. */
  private readonly records = new Map<string, FeedbackRecord>();
  /** JSON bytes of the records not undone, and a little per undone id (what memory holds). */
  private bytes = 0;
  private readonly undone = new Map<string, string>();
  /** The records in effect (not undone) per stream and template, oldest first. */
  private readonly byKey = new Map<string, FeedbackRecord[]>();
  /** Stream keys of label objects already seen (rows of one file share their labels object). */
  private readonly streams = new WeakMap<object, string>();
  /** The file may end in a torn record (a crash, or a failed append): cut it before the next append. */
  private suspect = true;
  /** Appends one at a time, so a repair never races another append. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly file: string,
    private readonly maxBytes: number,
  ) {}

  static async open(file: string, maxBytes = MAX_FEEDBACK_BYTES): Promise<FeedbackStore> {
    const store = new FeedbackStore(file, maxBytes);
    const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return '';
      throw err;
    });
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        store.remember(JSON.parse(line) as FeedbackRecord | UndoRecord);
      } catch {
        // a torn last line from a crash: never acknowledged; cut before the next append
      }
    }
    return store;
  }

  /**
   * Appends the record durably (fsync) before it is acknowledged. A torn last line, left by a crash or a failed
   * append, is cut first, so it can never swallow the record appended after it.
   */
  add(input: Omit<FeedbackInput, 'expiresAt'>, ttlMs: number): Promise<FeedbackRecord> {
    const now = Date.now();
    const times = { at: new Date(now).toISOString(), expiresAt: new Date(now + ttlMs).toISOString() };
    const record = { id: randomUUID(), ...input, ...times };
    if (this.bytes + JSON.stringify(record).length > this.maxBytes)
      return Promise.reject(
        new FeedbackFullError(`feedback store is full (${this.maxBytes} bytes of records): undo some records first`),
      );
    return this.enqueue(record);
  }

  /** Takes a record back (durably, as an undo record); undefined when there is no such record in effect. */
  async undo(id: string): Promise<FeedbackView | undefined> {
    const record = this.records.get(id);
    if (!record) return undefined;
    await this.enqueue({ kind: 'undo', id: randomUUID(), at: new Date().toISOString(), undoes: id });
    return this.view(record);
  }

  private enqueue<R extends FeedbackRecord | UndoRecord>(record: R): Promise<R> {
    const run = this.queue.then(() => this.append(record));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async append<R extends FeedbackRecord | UndoRecord>(record: R): Promise<R> {
    await mkdir(dirname(this.file), { recursive: true });
    if (this.suspect) await this.repair();
    this.suspect = true;
    const fd = await open(this.file, 'a');
    try {
      await fd.appendFile(`${JSON.stringify(record)}\n`);
      await fd.sync();
    } finally {
      await fd.close();
    }
    this.suspect = false;
    this.remember(record);
    return record;
  }

  /** Cuts the file after its last newline when it does not end in one. */
  private async repair() {
    const bytes = await readFile(this.file).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return Buffer.alloc(0);
      throw err;
    });
    if (bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a) await truncate(this.file, bytes.lastIndexOf(0x0a) + 1);
    this.suspect = false;
  }

  /** Every record not undone, newest last; `current`: only those in effect now (not expired). */
  list(filter: { kind?: FeedbackKind; current?: boolean } = {}): FeedbackView[] {
    return [...this.records.values()]
      .map((r) => this.view(r))
      .filter((r) => (!filter.kind || r.kind === filter.kind) && (!filter.current || r.active));
  }

  /** The records not undone: what retraining learns from (an expired suppression is still a person's judgement). */
  kept(): FeedbackRecord[] {
    return [...this.records.values()];
  }

  private view(record: FeedbackRecord): FeedbackView {
    const undoneAt = this.undone.get(record.id);
    return { ...record, ...(undoneAt && { undoneAt }), active: !undoneAt && live(record, Date.now()) };
  }

  /** The record in effect now for a stream's template, if any. */
  private effective(labels: Record<string, string>, template: string): FeedbackRecord | undefined {
    if (this.byKey.size === 0) return undefined;
    let stream = this.streams.get(labels);
    if (stream === undefined) this.streams.set(labels, (stream = feedbackStream(labels)));
    const records = this.byKey.get(suppressionKey(stream, template));
    const now = Date.now();
    for (let i = (records?.length ?? 0) - 1; i >= 0; i--) {
      if (live(records![i], now)) return records![i];
    }
    return undefined;
  }

  /** What the feedback in effect makes of a line of this stream and template, when it changes anything. */
  private verdict(labels: Record<string, string>, template: string, anomaly: boolean) {
    const record = this.effective(labels, template);
    if (!record || (record.kind === 'false_positive') !== anomaly) return undefined;
    const until = record.expiresAt ? ` until ${record.expiresAt}` : '';
    return record.kind === 'false_positive'
      ? { severity: 'normal' as const, reason: `suppressed: template marked not an anomaly for this stream${until}` }
      : { severity: 'medium' as const, reason: `confirmed: template marked an anomaly for this stream${until}` };
  }

  /**
   * A scored line with the stream's feedback applied: a suppressed anomaly becomes normal, a confirmed normal line
   * medium; the score stays, so a suppressed line remains visible as what the model thought.
   */
  apply(line: ScoredLine): ScoredLine {
    const v = this.verdict(line.labels, line.template, line.anomaly);
    if (!v) return line;
    const was = line.anomaly ? ` (was ${line.severity})` : '';
    return {
      ...line,
      severity: v.severity,
      anomaly: v.severity !== 'normal',
      reasons: [v.reason + was, ...line.reasons],
    };
  }

  /**
   * The same for a row of the Loki API (stream labels, anomaly fields as strings): rows the scored index cached
   * before the feedback was given are corrected when they are read. The fields come back as they were when nothing
   * applies.
   */
  applyToFields<F extends Record<string, string>>(stream: Record<string, string>, fields: F): F {
    const template = fields[ANOMALY_FIELDS.template];
    const severity = fields[ANOMALY_FIELDS.severity];
    // A line still `learning` has no verdict of a model to change.
    if (this.byKey.size === 0 || template === undefined || severity === undefined || severity === LEARNING)
      return fields;
    const v = this.verdict(stream, template, severity !== 'normal');
    if (!v) return fields;
    const was = severity !== 'normal' ? ` (was ${severity})` : '';
    const reason = fields[ANOMALY_FIELDS.reason];
    return {
      ...fields,
      [ANOMALY_FIELDS.severity]: v.severity,
      [ANOMALY_FIELDS.reason]: reason ? `${v.reason}${was}; ${reason}` : v.reason + was,
    };
  }

  private remember(record: FeedbackRecord | UndoRecord) {
    if (record.kind === 'undo') {
      this.undone.set(record.undoes, record.at);
      this.bytes += UNDONE_BYTES;
      const undone = this.records.get(record.undoes);
      if (!undone) return;
      // An undone record changes nothing and feeds no retraining: only its id is kept, so undoing frees the memory.
      this.records.delete(record.undoes);
      this.bytes -= JSON.stringify(undone).length;
      const key = suppressionKey(feedbackStream(undone.labels), undone.template);
      const left = (this.byKey.get(key) ?? []).filter((r) => r.id !== record.undoes);
      if (left.length) this.byKey.set(key, left);
      else this.byKey.delete(key);
      return;
    }
    this.records.set(record.id, record);
    this.bytes += JSON.stringify(record).length;
    const key = suppressionKey(feedbackStream(record.labels), record.template);
    (this.byKey.get(key) ?? this.byKey.set(key, []).get(key)!).push(record);
  }
}
