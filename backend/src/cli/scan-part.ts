import { familyOf } from '../features/index.js';
import type { Model } from '../models/index.js';
import { createScorer, type BatchScorer } from '../pipeline/index.js';
import { sessionKeyRegex } from '../pipeline/sessions.js';
import type { DetectorKind, ScoredLine } from '../types.js';
import { splitLines } from '../parsing/lines.js';
import { Summary } from '../pipeline/index.js';
import { JsonLines } from './output.js';

/**
 * How a scan deals lines to its parts so that no feature changes: a web client's requests stay together (its
 * request rate is counted across them), and so do a session's lines; other lines go in blocks.
 */
export type Partition = { by: 'client' } | { by: 'session'; key: string } | { by: 'block' };

/** undefined: the lines must stay in one part (web sessions keyed by something other than the client). */
export function partitionOf(model: Model): Partition | undefined {
  const web = familyOf(model.format) === 'web';
  if (model.sessions) return web ? undefined : { by: 'session', key: model.sessions.key };
  return web ? { by: 'client' } : { by: 'block' };
}

export interface PartOptions {
  detector?: DetectorKind;
  json: boolean;
  labels: Record<string, string>;
}

/**
 * The `--json` lines of one part as UTF-8 (encoded where they were scored, so a worker's lines cross to the main
 * thread as transferred bytes): `numbers[i]` is a 1-based input line, its bytes end (with '\n') at `ends[i]`.
 */
export interface PartOutput {
  numbers: Int32Array<ArrayBuffer>;
  bytes: Uint8Array<ArrayBuffer>;
  ends: Int32Array<ArrayBuffer>;
}

/** One part's share of a chunk: its lines and their 1-based input line numbers. */
export interface Share {
  lines: string[];
  numbers: Int32Array<ArrayBuffer>;
}

const BLOCK_LINES = 512;
const SCORE_BATCH = 256;
/**
 * Shares of the lines by part: the main thread (part 0) also reads the input, deals the lines and writes the output,
 * so it scores a little less than each worker.
 */
const MAIN_WEIGHT = 15;
const WORKER_WEIGHT = 17;

/**
 * Splits each chunk of the input into lines (cutting huge ones) and deals them to `parts` parts by `partition`.
 * Runs on the main thread: each worker gets only its own lines.
 */
export class LineDealer {
  truncated = 0;
  /** Input lines read so far. */
  lines = 0;
  private readonly sessionKey?: RegExp;
  /** The part of each of the hash's buckets, in proportion to the parts' weights. */
  private readonly owners: Uint8Array;

  constructor(
    private readonly parts: number,
    private readonly partition: Partition,
  ) {
    if (partition.by === 'session') this.sessionKey = sessionKeyRegex(partition.key);
    const weights = Array.from({ length: parts }, (_, part) => (part === 0 && parts > 1 ? MAIN_WEIGHT : WORKER_WEIGHT));
    this.owners = Uint8Array.from(weights.flatMap((w, part) => new Array<number>(w).fill(part)));
  }

  deal(chunk: Uint8Array): Share[] {
    const lines = splitLines(chunk, () => this.truncated++);
    const first = this.lines + 1;
    this.lines += lines.length;
    if (this.parts === 1) return [{ lines, numbers: Int32Array.from(lines, (_, i) => first + i) }];
    const owner = new Uint8Array(lines.length);
    const counts = new Int32Array(this.parts);
    for (let i = 0; i < lines.length; i++) counts[(owner[i] = this.owner(lines[i], first + i))]++;
    const shares = Array.from(counts, (n) => ({ lines: new Array<string>(n), numbers: new Int32Array(n) }));
    counts.fill(0);
    for (let i = 0; i < lines.length; i++) {
      const share = shares[owner[i]];
      const at = counts[owner[i]]++;
      share.lines[at] = lines[i];
      share.numbers[at] = first + i;
    }
    return shares;
  }

  private owner(line: string, lineNo: number): number {
    if (this.partition.by === 'client') {
      const space = line.indexOf(' ');
      return this.owners[hash(line, space < 0 ? line.length : space) % this.owners.length];
    }
    const key = this.sessionKey?.exec(line)?.[0];
    if (key !== undefined) return this.owners[hash(key, key.length) % this.owners.length];
    return this.owners[Math.floor((lineNo - 1) / BLOCK_LINES) % this.owners.length];
  }
}

/**
 * Scores the lines dealt to one part of an input and formats them: `--json` lines in `PartOutput`, or counts in
 * `summary`. A scan runs one part on the main thread and any others on worker threads (scan-threads.ts).
 */
export class ScanPart {
  readonly summary = new Summary();
  private readonly scorer: BatchScorer;
  private readonly json = new JsonLines();
  /** Line numbers of this part's lines the scorer still holds (lines of open sessions), oldest first. */
  private waiting: number[] = [];
  private head = 0;
  /** Where the `--json` lines of a push are written one by one, reused from push to push (cheaper than encoding one joined string). */
  private scratch: Buffer = Buffer.allocUnsafe(1 << 20);

  constructor(
    model: Model,
    private readonly opts: PartOptions,
  ) {
    this.scorer = createScorer(model, { detector: opts.detector, labels: opts.labels });
  }

  push({ lines, numbers }: Share): PartOutput {
    for (let i = 0; i < numbers.length; i++) this.waiting.push(numbers[i]);
    const scored: ScoredLine[] = [];
    // Small batches: what a batch keeps alive survives the young-generation collections it spans. (A batch may
    // release many held session lines at once: no spread into push.)
    for (let at = 0; at < lines.length; at += SCORE_BATCH) {
      for (const line of this.scorer.pushBatch(lines.slice(at, at + SCORE_BATCH))) scored.push(line);
    }
    return this.emit(scored);
  }

  end(): PartOutput {
    return this.emit(this.scorer.end());
  }

  private emit(scored: readonly ScoredLine[]): PartOutput {
    const n = scored.length;
    const numbers = new Int32Array(this.opts.json ? n : 0);
    const ends = new Int32Array(numbers.length);
    let at = 0;
    for (let i = 0; i < n; i++) {
      const lineNo = this.waiting[this.head++];
      if (this.opts.json) {
        const text = `${this.json.format(lineNo, scored[i])}\n`;
        // a UTF-16 unit takes at most 3 bytes in UTF-8
        if (at + 3 * text.length > this.scratch.length) this.scratch = grown(this.scratch, at + 3 * text.length);
        at += this.scratch.write(text, at);
        numbers[i] = lineNo;
        ends[i] = at;
      } else {
        this.summary.add(scored[i], lineNo);
      }
    }
    if (this.head > 65_536) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
    return { numbers, bytes: new Uint8Array(this.scratch.subarray(0, at)), ends };
  }
}

/** A larger buffer holding what `buffer` held. */
function grown(buffer: Buffer, least: number): Buffer {
  const next = Buffer.allocUnsafe(Math.max(least, 2 * buffer.length));
  buffer.copy(next);
  return next;
}

/** FNV-1a over the first `length` UTF-16 units. */
function hash(s: string, length: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
