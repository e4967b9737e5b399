import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
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
}

export interface FeedbackRecord extends FeedbackInput {
  id: string;
  at: string;
}

/** The stream a record belongs to: its labels without the anomaly_* fields the Loki API may have added. */
export function feedbackStream(labels: Record<string, string>): string {
  return streamKey(Object.fromEntries(Object.entries(labels).filter(([k]) => !k.startsWith('anomaly_'))));
}

const suppressionKey = (stream: string, template: string) => `${stream}\u0000${template}`;

/**
 * Feedback persisted as JSON lines. A false positive suppresses its template for its stream: later lines of that
 * stream with that template are reported as normal, with the reason saying so.
 */
export class FeedbackStore {
  private readonly records: FeedbackRecord[] = [];
  private readonly suppressed = new Set<string>();
  /** The file may end in a torn record (a crash, or a failed append): cut it before the next append. */
  private suspect = true;
  /** Appends one at a time, so a repair never races another append. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(readonly file: string) {}

  static async open(file: string): Promise<FeedbackStore> {
    const store = new FeedbackStore(file);
    const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return '';
      throw err;
    });
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        store.remember(JSON.parse(line) as FeedbackRecord);
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
  add(input: FeedbackInput): Promise<FeedbackRecord> {
    const run = this.queue.then(() => this.append(input));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async append(input: FeedbackInput): Promise<FeedbackRecord> {
    const record: FeedbackRecord = { id: randomUUID(), at: new Date().toISOString(), ...input };
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

  /** Grows with every record, so a cache of scored lines can tell that suppressions may have changed. */
  get version(): number {
    return this.records.length;
  }

  list(filter: { kind?: FeedbackKind } = {}): FeedbackRecord[] {
    return this.records.filter((r) => !filter.kind || r.kind === filter.kind);
  }

  private isSuppressed(labels: Record<string, string>, template: string): boolean {
    return this.suppressed.size > 0 && this.suppressed.has(suppressionKey(feedbackStream(labels), template));
  }

  /** Marks a false-positive line normal (severity only: the score stays, so suppressed lines remain visible). */
  apply(line: ScoredLine): ScoredLine {
    if (!line.anomaly || !this.isSuppressed(line.labels, line.template)) return line;
    return {
      ...line,
      severity: 'normal',
      anomaly: false,
      reasons: [`suppressed: template marked a false positive for this stream (was ${line.severity})`, ...line.reasons],
    };
  }

  private remember(record: FeedbackRecord) {
    this.records.push(record);
    const key = suppressionKey(feedbackStream(record.labels), record.template);
    if (record.kind === 'false_positive') this.suppressed.add(key);
    else this.suppressed.delete(key);
  }
}
