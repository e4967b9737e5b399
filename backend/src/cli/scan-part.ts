import { familyOf } from '../features/index.js';
import type { Model } from '../models/index.js';
import { createScorer, type BatchScorer } from '../pipeline/index.js';
import { sessionKeyRegex } from '../pipeline/sessions.js';
import type { DetectorKind, ScoredLine } from '../types.js';
import { splitLines } from './input.js';
import { JsonLines, Summary } from './output.js';

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
  /** This part's index among `parts`. */
  part: number;
  parts: number;
  partition: Partition;
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

const BLOCK_LINES = 512;
const SCORE_BATCH = 256;

/**
 * Scores the lines of one part of an input, chunk by chunk (every part sees every chunk and picks its own lines),
 * and formats them: `--json` lines in `PartOutput`, or counts in `summary`. A scan runs one part on the main thread
 * and any others on worker threads (scan-threads.ts).
 */
export class ScanPart {
  readonly summary = new Summary();
  truncated = 0;
  private readonly scorer: BatchScorer;
  private readonly json = new JsonLines();
  private readonly sessionKey?: RegExp;
  private seen = 0;
  /** Line numbers of this part's lines the scorer still holds (lines of open sessions), oldest first. */
  private waiting: number[] = [];
  private head = 0;

  constructor(
    model: Model,
    private readonly opts: PartOptions,
  ) {
    this.scorer = createScorer(model, { detector: opts.detector, labels: opts.labels });
    if (opts.partition.by === 'session') this.sessionKey = sessionKeyRegex(opts.partition.key);
  }

  push(chunk: Uint8Array): PartOutput {
    const { part, parts } = this.opts;
    // Every part splits every chunk: part 0 alone counts the cut lines.
    const lines = splitLines(chunk, () => (this.truncated += part === 0 ? 1 : 0));
    const mine = parts === 1 ? lines : [];
    for (const line of lines) {
      const lineNo = ++this.seen;
      if (parts === 1) this.waiting.push(lineNo);
      else if (this.owner(line, lineNo) === part) {
        mine.push(line);
        this.waiting.push(lineNo);
      }
    }
    const scored: ScoredLine[] = [];
    // Small batches: what a batch keeps alive survives the young-generation collections it spans. (A batch may
    // release many held session lines at once: no spread into push.)
    for (let at = 0; at < mine.length; at += SCORE_BATCH) {
      for (const line of this.scorer.pushBatch(mine.slice(at, at + SCORE_BATCH))) scored.push(line);
    }
    return this.emit(scored);
  }

  /** Input lines read so far (every part reads them all). */
  get linesRead(): number {
    return this.seen;
  }

  end(): PartOutput {
    return this.emit(this.scorer.end());
  }

  private owner(line: string, lineNo: number): number {
    const { partition } = this.opts;
    if (partition.by === 'client') {
      const space = line.indexOf(' ');
      return hash(line, space < 0 ? line.length : space) % this.opts.parts;
    }
    const key = this.sessionKey?.exec(line)?.[0];
    if (key !== undefined) return hash(key, key.length) % this.opts.parts;
    return Math.floor((lineNo - 1) / BLOCK_LINES) % this.opts.parts;
  }

  private emit(scored: readonly ScoredLine[]): PartOutput {
    const n = scored.length;
    const numbers = new Int32Array(this.opts.json ? n : 0);
    const ends = new Int32Array(numbers.length);
    let text = '';
    for (let i = 0; i < n; i++) {
      const lineNo = this.waiting[this.head++];
      if (this.opts.json) {
        text += `${this.json.format(lineNo, scored[i])}\n`;
        numbers[i] = lineNo;
        ends[i] = text.length;
      } else {
        this.summary.add(lineNo, scored[i]);
      }
    }
    if (this.head > 65_536) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
    const bytes = utf8.encode(text);
    if (bytes.length !== text.length) byteEnds(text, ends);
    return { numbers, bytes, ends };
  }
}

const utf8 = new TextEncoder();

/** Turns the character offsets `ends` of the lines of `text` into byte offsets (for text that is not all ASCII). */
function byteEnds(text: string, ends: Int32Array): void {
  let chars = 0;
  let bytes = 0;
  for (let i = 0; i < ends.length; i++) {
    bytes += Buffer.byteLength(text.slice(chars, ends[i]));
    chars = ends[i];
    ends[i] = bytes;
  }
}

/** FNV-1a over the first `length` UTF-16 units. */
function hash(s: string, length: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
