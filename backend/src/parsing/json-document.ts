/**
 * JSON documents read as JSON lines, one record a line: what `ConvertTo-Json`, `gcloud logging read --format json`,
 * `aws ... --output json`, `kubectl get ... -o json`, CloudTrail's files and `jq` write is one pretty-printed value
 * over many lines, and read line by line every line is a fragment (`"eventName": "ConsoleLogin",`).
 *
 * The records: the elements of a top-level array; in a top-level object that wraps them, the elements of its array of
 * objects, when that array is its first member (CloudTrail's `Records`, the AWS CLI's `Events`, Azure's `records` and
 * `value`) or is named `items` (kubectl's lists), else the object itself (an event with a `Properties` array inside);
 * top-level values one after another (`jq`'s output) each in turn. A record is written compact (white space outside
 * strings dropped), so the line numbers a scan reports count records. Text outside any value (a broken file) passes
 * through as its lines.
 */
import { headOf } from './lines.js';

/** Records longer than this are cut (the line reader would cut them anyway), so memory stays bounded. */
const MAX_RECORD_CHARS = 4 * 1024 * 1024;
/** A member's key is compared with `items` only: a longer one need not be kept whole. */
const MAX_KEY_CHARS = 64;
/** How much of the input decides whether it is a JSON document. */
const SNIFF_CHARS = 4096;

/**
 * Whether text that starts a file is a JSON document rather than JSON lines: it opens with `[` and an object, an array
 * or a string, or with a `{` whose first line is not a whole JSON value, or is longer than the head.
 */
export function isJsonDocument(head: string): boolean {
  const start = head.search(/\S/);
  if (start < 0) return false;
  // An array of records or strings; `[2024-03-01 …]`, `[Sun Dec 04 …]` and `[10.30 16:49:06]` start lines of logs.
  if (head[start] === '[') return /^\[\s*[{["\]]/.test(head.slice(start));
  if (head[start] !== '{') return false;
  const end = head.indexOf('\n', start);
  // No line break in the head: a value longer than JSON lines hold (CloudTrail writes a file on one line).
  if (end < 0) return head.length >= SNIFF_CHARS;
  try {
    JSON.parse(head.slice(start, end));
    return false;
  } catch {
    return true;
  }
}

/** UTF-8 chunks as they are, or as JSON lines when they hold a JSON document (`isJsonDocument`: `found` is called). */
export async function* asJsonLines(source: AsyncIterable<Buffer>, found?: () => void): AsyncGenerator<Buffer> {
  const { head, rest } = await headOf(source, SNIFF_CHARS);
  if (!isJsonDocument(head.subarray(0, SNIFF_CHARS).toString('utf8'))) {
    yield head;
    yield* rest;
    return;
  }
  found?.();
  const reader = new RecordReader();
  const decoder = new TextDecoder();
  yield Buffer.from(reader.read(decoder.decode(head, { stream: true })), 'utf8');
  for await (const chunk of rest) yield Buffer.from(reader.read(decoder.decode(chunk, { stream: true })), 'utf8');
  yield Buffer.from(reader.read(decoder.decode()) + reader.end(), 'utf8');
}

/**
 * What the reader is in at depth 1 and below: a top-level array's elements (`array`), a top-level object it keeps
 * whole while looking for an array of objects in it (`object`), that array's elements (`inner`), or the rest of the
 * object after that array (`rest`).
 */
type Mode = 'none' | 'array' | 'object' | 'inner' | 'rest';

const QUOTE = 34;
const BACKSLASH = 92;

/**
 * A streaming reader of JSON text into records: the depth, whether inside a string, and the record being read. Kept
 * characters are added to the record a run at a time (a run ends at white space outside strings, or where a record
 * ends), so a chunk costs one pass over its characters: 131 MB of pretty-printed events in 1.6 s (11.4 s when
 * each kept character was added alone).
 */
class RecordReader {
  private mode: Mode = 'none';
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** The depth of the records' container's content: 1 for a top-level array, 2 for an object's member. */
  private recordsAt = 1;
  /** A member of the top-level object has just opened an array: its first element decides (`inner` if an object). */
  private arrayStart = false;
  /** In a top-level object: members read before the current one, and the current one's key. */
  private members = 0;
  private key = '';
  /** Where the key being read starts in the text; -2: the next string at depth 1 is a key; -1: none. */
  private keyAt = -1;
  /** The part of the key being read that earlier texts held. */
  private keyPart = '';
  private record = '';
  private stray = '';
  private text = '';
  /** Where the run of kept characters not yet in `record` starts in the text; -1 when none is open. */
  private run = -1;

  read(text: string): string {
    if (this.keyAt >= 0) {
      if (this.keyPart.length < MAX_KEY_CHARS) this.keyPart += this.text.slice(this.keyAt, this.keyAt + MAX_KEY_CHARS);
      this.keyAt = 0;
    }
    this.text = text;
    this.run = this.inString && this.mode !== 'rest' ? 0 : -1;
    const out: string[] = [];
    const n = text.length;
    for (let i = 0; i < n; i++) {
      if (this.inString) {
        for (; i < n; i++) {
          const s = text.charCodeAt(i);
          if (this.escaped) this.escaped = false;
          else if (s === BACKSLASH) this.escaped = true;
          else if (s === QUOTE) break;
        }
        if (i === n) break;
        this.inString = false;
        if (this.keyAt >= 0) {
          this.key = (this.keyPart + text.slice(this.keyAt, i)).slice(1);
          this.keyAt = -1;
          this.keyPart = '';
        }
        continue;
      }
      const c = text[i];
      if (c === ' ' || c === '\n' || c === '\r' || c === '\t') {
        this.cut(i);
        if (this.depth === 0) {
          if (c === '\n') out.push(this.flushStray());
          else if (this.stray) this.addStray(c);
        }
        continue;
      }
      if (this.depth === 0) {
        if (c === '[' || c === '{') {
          out.push(this.flushStray());
          this.mode = c === '[' ? 'array' : 'object';
          this.recordsAt = 1;
          this.depth = 1;
          this.record = '';
          this.members = 0;
          this.key = '';
          this.keyAt = this.mode === 'object' ? -2 : -1;
          if (c === '{') this.keep(i);
        } else if (c !== ',') this.addStray(c);
        continue;
      }
      if (this.mode === 'object' && this.arrayStart) {
        this.arrayStart = false;
        if (c === '{') {
          this.cut(i);
          this.mode = 'inner';
          this.recordsAt = 2;
          this.record = '';
        }
      }
      const container = (this.mode === 'array' || this.mode === 'inner') && this.depth === this.recordsAt;
      if (container && (c === ',' || c === ']' || c === '}')) {
        this.cut(i);
        out.push(this.emit());
        if (c !== ',') {
          this.depth--;
          this.mode = this.depth === 0 ? 'none' : 'rest';
        }
        continue;
      }
      const memberStart = this.mode === 'object' && this.depth === 1;
      if (memberStart && c === ',') {
        this.members++;
        this.keyAt = -2;
      }
      this.keep(i);
      if (c === '"') {
        this.inString = true;
        if (memberStart && this.keyAt === -2) this.keyAt = i;
      } else if (c === '{' || c === '[') {
        this.depth++;
        if (this.mode === 'object' && this.depth === 2 && c === '[')
          this.arrayStart = this.members === 0 || this.key === 'items';
      } else if (c === '}' || c === ']') {
        this.depth--;
        if (this.depth === 0) {
          if (this.mode === 'object') {
            this.cut(i + 1);
            out.push(this.emit());
          }
          this.mode = 'none';
        }
      }
    }
    this.cut(n);
    return out.join('');
  }

  /** The record or text the input ended in (a file cut short). */
  end(): string {
    return this.flushStray() + (this.mode === 'rest' ? '' : this.emit());
  }

  /** Character `i` of the text is kept: it opens a run, or extends the open one. */
  private keep(i: number): void {
    if (this.run < 0 && this.mode !== 'rest') this.run = i;
  }

  /** The open run ends before `i`: into the record (at most MAX_RECORD_CHARS of it). */
  private cut(i: number): void {
    if (this.run < 0) return;
    if (this.record.length < MAX_RECORD_CHARS) this.record += this.text.slice(this.run, i);
    this.run = -1;
  }

  private emit(): string {
    const line = this.record ? `${this.record.slice(0, MAX_RECORD_CHARS)}\n` : '';
    this.record = '';
    return line;
  }

  /** Text outside any value, kept up to MAX_RECORD_CHARS a line. */
  private addStray(c: string): void {
    if (this.stray.length < MAX_RECORD_CHARS) this.stray += c;
  }

  private flushStray(): string {
    const line = this.stray ? `${this.stray.trimEnd()}\n` : '';
    this.stray = '';
    return line;
  }
}
