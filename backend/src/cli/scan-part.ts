import { familyOf } from '../features/index.js';
import { HeadQueue } from '../head-queue.js';
import type { Model } from '../models/index.js';
import {
  countsBursts,
  createScorer,
  episodeSightings,
  modelParser,
  type BlockScorer,
  type EpisodeSightings,
  type Sighting,
} from '../pipeline/index.js';
import { movesOn } from '../detectors/burst.js';
import { minuteOf } from '../stream.js';
import { sessionKeyRegex } from '../pipeline/sessions.js';
import type { DetectorKind, FormatName, ScoredLine } from '../types.js';
import { splitLines } from '../parsing/lines.js';
import { jsonAccessClient } from '../parsing/keyed-access.js';
import { isFieldsDirective } from '../parsing/csv.js';
import { isZeekFieldsDirective } from '../parsing/zeek.js';
import { unwrapAny } from '../parsing/envelope.js';
import { Summary } from '../pipeline/index.js';
import { JsonLines } from './output.js';

/**
 * How a scan deals lines to its parts so that no feature changes: a web client's requests stay together (its
 * request rate is counted across them), and so do a session's lines; other lines go in blocks. When the scorer
 * counts bursts (a template's lines per minute), a block holds whole minutes: `minuteOf` reads a line's minute.
 */
export type Partition =
  | { by: 'client'; clientOf?: (line: string) => string; echo?: Echo }
  | { by: 'session'; key: string }
  | {
      by: 'block';
      minuteOf?: (line: string) => number | undefined;
      /** Finds the lines of episodic templates, whose last times are told to the parts at each block. */
      sightings?: EpisodeSightings;
      echo?: Echo;
    };

/**
 * A line every part must read, though one part scores it: a directive that names the columns of the lines after it
 * (W3C's `#Fields:`, Zeek's `#fields`).
 */
type Echo = (line: string) => boolean;

/**
 * undefined: the lines must stay in one part (web sessions keyed by something other than the client; CSV, whose
 * parser follows a record over lines when a quoted cell holds line breaks). The client is
 * an access line's first token (Apache, nginx; the second after a virtual host), else the one its parser reads (JSON,
 * other layouts, and any line in a container runtime's envelope). Every part reads a W3C log's `#Fields:` directives and a Zeek log's `#fields`, which say how to
 * read the lines after them.
 */
export function partitionOf(model: Model): Partition | undefined {
  const web = familyOf(model.format) === 'web';
  if (model.sessions) return web ? undefined : { by: 'session', key: model.sessions.key };
  if (model.format === 'csv') return undefined;
  if (model.format === 'json-access') return { by: 'client', clientOf: jsonAccessClient };
  const echo = DIRECTIVES[model.format];
  const plainWeb = (model.format === 'apache' || model.format === 'nginx') && !model.parserState.envelope;
  if (web && !plainWeb) {
    const parser = modelParser(model);
    return { by: 'client', clientOf: (line) => parser.parse(line).fields.ip ?? '', echo };
  }
  if (web) return { by: 'client' };
  if (!countsBursts(model)) return { by: 'block', echo };
  const parser = modelParser(model);
  return {
    by: 'block',
    minuteOf: (line) => {
      const ts = parser.parse(line).ts;
      return ts === undefined || !Number.isFinite(ts) ? undefined : minuteOf(ts);
    },
    sightings: episodeSightings(model),
    echo,
  };
}

const DIRECTIVES: Partial<Record<FormatName, Echo>> = {
  w3c: isFieldsDirective,
  csv: isFieldsDirective,
  'zeek-http': isZeekFieldsDirective,
  zeek: isZeekFieldsDirective,
};

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

/**
 * One part's share of a chunk: its lines, their 1-based input line numbers (0 for a line the part reads but does not
 * score out: Partition's `echo`), and where blocks of lines start.
 */
export interface Share {
  lines: string[];
  numbers: Int32Array<ArrayBuffer>;
  /** Indexes in `lines` of the first lines of blocks (empty unless the scorer counts bursts, which restart there). */
  starts: number[];
  /** Per start: the last line of each episodic template before the block, when a part may not have seen it. */
  sightings?: Sighting[][];
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
 * The main thread's share when it parses every line to deal it (a JSON log's client, a needle-less episodic
 * template): dealing then costs it about 3 µs a line, as much as scoring 0.4 lines. At 15 it ran flat out while the
 * worker idled a third of a 1M-line JSON scan.
 */
const MAIN_WEIGHT_PARSING = 7;

/**
 * Splits each chunk of the input into lines (cutting huge ones) and deals them to `parts` parts by `partition`.
 * Runs on the main thread: each worker gets only its own lines.
 */
export class LineDealer {
  truncated = 0;
  /** Input lines read so far. */
  lines = 0;
  private readonly sessionKey?: RegExp;
  private readonly minuteOf?: (line: string) => number | undefined;
  /** The part of each of the hash's buckets, in proportion to the parts' weights. */
  private readonly owners: Uint8Array;
  /** The current block: its index, its first line number, and its minute once read (see startsBlock). */
  private block = 0;
  private blockStart = 1;
  private minute = NaN;
  /** With `sightings`: the last time each episodic template was seen, and what it was at the blocks begun. */
  private readonly lastSeen = new Map<number, number>();
  private readonly sightingsAt = new Map<number, Sighting[]>();

  constructor(
    private readonly parts: number,
    private readonly partition: Partition,
  ) {
    if (partition.by === 'session') this.sessionKey = sessionKeyRegex(partition.key);
    if (partition.by === 'block') this.minuteOf = partition.minuteOf;
    const parses =
      partition.by === 'client'
        ? partition.clientOf !== undefined
        : partition.by === 'block' && partition.sightings?.everyLine;
    const main = parses ? MAIN_WEIGHT_PARSING : MAIN_WEIGHT;
    const weights = Array.from({ length: parts }, (_, part) => (part === 0 && parts > 1 ? main : WORKER_WEIGHT));
    this.owners = Uint8Array.from(weights.flatMap((w, part) => new Array<number>(w).fill(part)));
  }

  deal(chunk: Uint8Array): Share[] {
    const lines = splitLines(chunk, () => this.truncated++);
    const first = this.lines + 1;
    this.lines += lines.length;
    if (this.parts === 1) {
      // One part still learns where blocks start: the scorer restarts its burst counts there, as each part does.
      const starts: number[] = [];
      if (this.minuteOf)
        for (let i = 0; i < lines.length; i++) if (this.startsBlock(lines[i], first + i)) starts.push(i);
      return [{ lines, numbers: Int32Array.from(lines, (_, i) => first + i), starts }];
    }
    const owner = new Uint8Array(lines.length);
    const started = new Uint8Array(lines.length);
    const echoed = new Uint8Array(lines.length);
    const echo = this.partition.by === 'session' ? undefined : this.partition.echo;
    const counts = new Int32Array(this.parts);
    for (let i = 0; i < lines.length; i++) {
      counts[(owner[i] = this.owner(lines[i], first + i, started, i))]++;
      if (echo?.(lines[i])) {
        echoed[i] = 1;
        for (let p = 0; p < this.parts; p++) if (p !== owner[i]) counts[p]++;
      }
    }
    const sightings = this.partition.by === 'block' && this.partition.sightings !== undefined;
    const shares = Array.from(counts, (n) => ({
      lines: new Array<string>(n),
      numbers: new Int32Array(n),
      starts: [] as number[],
      ...(sightings && { sightings: [] as Sighting[][] }),
    }));
    counts.fill(0);
    for (let i = 0; i < lines.length; i++) {
      for (let p = 0; p < this.parts; p++) {
        if (p !== owner[i] && !echoed[i]) continue;
        const share = shares[p];
        const at = counts[p]++;
        share.lines[at] = lines[i];
        share.numbers[at] = p === owner[i] ? first + i : 0;
        if (started[i] && p === owner[i]) {
          share.starts.push(at);
          share.sightings?.push(this.sightingsAt.get(i) ?? []);
        }
      }
    }
    this.sightingsAt.clear();
    return shares;
  }

  private owner(line: string, lineNo: number, started: Uint8Array, i: number): number {
    if (this.partition.by === 'client') {
      const client = this.partition.clientOf?.(line);
      if (client !== undefined) return this.owners[hash(client, 0, client.length) % this.owners.length];
      // A model of plain lines reads a container's lines inside their envelopes (parsing/detect.ts): so does this.
      line = unwrapAny(line)?.line ?? line;
      // The client is the first token, or the second after a virtual host (vhost_combined: `[time]` is then the 5th).
      const first = line.indexOf(' ');
      const second = first < 0 ? -1 : line.indexOf(' ', first + 1);
      const third = second < 0 ? -1 : line.indexOf(' ', second + 1);
      const fourth = third < 0 ? -1 : line.indexOf(' ', third + 1);
      if (fourth > 0 && line.charCodeAt(third + 1) !== 91 && line.charCodeAt(fourth + 1) === 91)
        return this.owners[hash(line, first + 1, second) % this.owners.length];
      return this.owners[hash(line, 0, first < 0 ? line.length : first) % this.owners.length];
    }
    const key = this.sessionKey?.exec(line)?.[0];
    if (key !== undefined) return this.owners[hash(key, 0, key.length) % this.owners.length];
    if (this.startsBlock(line, lineNo) && this.minuteOf) started[i] = 1;
    const sightings = this.partition.by === 'block' ? this.partition.sightings : undefined;
    if (sightings) {
      if (started[i]) this.sightingsAt.set(i, [...this.lastSeen]);
      const seen = sightings.of(line);
      if (seen && seen[1] > (this.lastSeen.get(seen[0]) ?? -Infinity)) this.lastSeen.set(seen[0], seen[1]);
    }
    return this.owners[this.block % this.owners.length];
  }

  /**
   * Whether `line` starts a new block. A block holds BLOCK_LINES lines or more; when the scorer counts bursts, it
   * ends only where the stream's minute moves on (as the burst tracker reads it: the first timestamped line from
   * its BLOCK_LINES-th on sets the block's minute), or after BLOCK_LINES further lines without a timestamp. Only the
   * lines past a block's BLOCK_LINES-th are parsed here.
   */
  private startsBlock(line: string, lineNo: number): boolean {
    const inBlock = lineNo - this.blockStart;
    if (inBlock < BLOCK_LINES - 1) return false;
    let starts = inBlock >= BLOCK_LINES;
    if (this.minuteOf) {
      const minute = this.minuteOf(line);
      if (Number.isNaN(this.minute)) {
        this.minute = minute ?? NaN;
        starts = inBlock >= 2 * BLOCK_LINES;
      } else starts = minute !== undefined && minute !== this.minute && movesOn(this.minute, minute);
    }
    if (starts) {
      this.block++;
      this.blockStart = lineNo;
      this.minute = NaN;
    }
    return starts;
  }
}

/**
 * Scores the lines dealt to one part of an input and formats them: `--json` lines in `PartOutput`, or counts in
 * `summary`. A scan runs one part on the main thread and any others on worker threads (scan-threads.ts).
 */
export class ScanPart {
  readonly summary = new Summary();
  private readonly scorer: BlockScorer;
  private readonly json = new JsonLines();
  /** Line numbers of this part's lines the scorer still holds (lines of open sessions), oldest first. */
  private readonly waiting = new HeadQueue<number>(65_536, true);

  constructor(
    model: Model,
    private readonly opts: PartOptions,
  ) {
    this.scorer = createScorer(model, { detector: opts.detector, labels: opts.labels });
  }

  push({ lines, numbers, starts, sightings }: Share): PartOutput {
    for (let i = 0; i < numbers.length; i++) if (numbers[i] !== 0) this.waiting.push(numbers[i]);
    const scored: ScoredLine[] = [];
    const bounds = [...starts, lines.length];
    for (let from = 0, k = 0; from < lines.length; k++) {
      const to = bounds[k];
      this.score(lines, numbers, from, to, scored);
      if (to < lines.length) for (const line of this.scorer.cut(sightings?.[k])) scored.push(line);
      from = to;
    }
    return this.emit(scored);
  }

  /**
   * Scores lines `from` to `to` in small batches: what a batch keeps alive survives the young-generation collections
   * it spans. An echoed line (number 0) is read in its place, not scored. (A batch may release many held lines at
   * once: no spread into push.)
   */
  private score(lines: string[], numbers: Int32Array, from: number, to: number, scored: ScoredLine[]): void {
    for (let at = from; at < to;) {
      if (numbers[at] === 0) {
        this.scorer.read(lines[at++]);
        continue;
      }
      let end = at + 1;
      while (end < to && end - at < SCORE_BATCH && numbers[end] !== 0) end++;
      for (const line of this.scorer.pushBatch(lines.slice(at, end))) scored.push(line);
      at = end;
    }
  }

  end(): PartOutput {
    return this.emit(this.scorer.end());
  }

  private emit(scored: readonly ScoredLine[]): PartOutput {
    const n = scored.length;
    const numbers = new Int32Array(this.opts.json ? n : 0);
    const ends = new Int32Array(numbers.length);
    this.json.clear();
    for (let i = 0; i < n; i++) {
      const lineNo = this.waiting.shift();
      if (this.opts.json) {
        this.json.add(lineNo, scored[i]);
        numbers[i] = lineNo;
        ends[i] = this.json.length;
      } else {
        this.summary.add(scored[i], lineNo);
      }
    }
    return { numbers, bytes: this.json.bytes(), ends };
  }
}

/** FNV-1a over the UTF-16 units of s[from, to). */
function hash(s: string, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
