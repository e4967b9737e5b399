import { headOf } from './lines.js';

/**
 * JSON documents read as JSON lines, one record a line: what `ConvertTo-Json`, `gcloud logging read --format json`,
 * `aws ... --output json`, `kubectl get ... -o json`, CloudTrail's files and `jq` write is one pretty-printed value
 * over many lines, and read line by line every line is a fragment (`"eventName": "ConsoleLogin",`).
 *
 * The records: the elements of a top-level array; in a top-level object that wraps them, the elements of its array of
 * objects, when that array is its first member (CloudTrail's `Records`, the AWS CLI's `Events`, Azure's `records` and
 * `value`) or is named `items` (kubectl's lists), else the object itself (an event with a `Properties` array inside);
 * top-level values one after another (`jq`'s output) each in turn. A record is written compact (white space outside strings dropped), so the
 * line numbers a scan reports count records. Text outside any value (a broken file) passes through as its lines.
 */

/** Records longer than this are cut (the line reader would cut them anyway), so memory stays bounded. */
const MAX_RECORD_CHARS = 4 * 1024 * 1024;
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
  // No line break in the head: one object longer than a line of JSON lines is (CloudTrail writes its file on one line).
  if (end < 0) return head.length >= SNIFF_CHARS;
  try {
    JSON.parse(head.slice(start, end));
    return false;
  } catch {
    return true;
  }
}

/** UTF-8 chunks as they are, or as JSON lines when they hold a JSON document (`isJsonDocument`). */
export async function* asJsonLines(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const { head, text, rest } = await headOf(source, SNIFF_CHARS);
  if (!isJsonDocument(text)) {
    yield* head;
    yield* rest;
    return;
  }
  const reader = new RecordReader();
  const decoder = new TextDecoder();
  for (const chunk of head) yield Buffer.from(reader.read(decoder.decode(chunk, { stream: true })), 'utf8');
  for await (const chunk of rest) yield Buffer.from(reader.read(decoder.decode(chunk, { stream: true })), 'utf8');
  yield Buffer.from(reader.read(decoder.decode()) + reader.end(), 'utf8');
}

/**
 * What the reader is in at depth 1 and below: a top-level array's elements (`array`), a top-level object it keeps
 * whole while looking for an array of objects in it (`object`), that array's elements (`inner`), or the rest of the
 * object after that array (`rest`).
 */
type Mode = 'none' | 'array' | 'object' | 'inner' | 'rest';

/**
 * A streaming reader of JSON text into records, one character at a time: the depth, whether inside a string, and the
 * record being read. `read` returns the lines of the records its text completed.
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
  private keyAt = -1;
  private record = '';
  private stray = '';

  read(text: string): string {
    let out = '';
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (this.inString) {
        this.keep(c);
        if (this.escaped) this.escaped = false;
        else if (c === '\\') this.escaped = true;
        else if (c === '"') {
          this.inString = false;
          if (this.keyAt >= 0) {
            this.key = this.record.slice(this.keyAt + 1, -1);
            this.keyAt = -1;
          }
        }
        continue;
      }
      if (c === ' ' || c === '\n' || c === '\r' || c === '\t') {
        if (this.depth === 0) {
          if (c === '\n') out += this.flushStray();
          else if (this.stray) this.stray += c;
        }
        continue;
      }
      if (this.depth === 0) {
        if (c === '[' || c === '{') {
          out += this.flushStray();
          this.mode = c === '[' ? 'array' : 'object';
          this.recordsAt = 1;
          this.depth = 1;
          this.record = c === '{' ? c : '';
          this.members = 0;
          this.key = '';
          this.keyAt = this.mode === 'object' ? -2 : -1;
        } else if (c !== ',') this.stray += c;
        continue;
      }
      if (this.mode === 'object' && this.arrayStart) {
        this.arrayStart = false;
        if (c === '{') {
          this.mode = 'inner';
          this.recordsAt = 2;
          this.record = '';
        }
      }
      const container = (this.mode === 'array' || this.mode === 'inner') && this.depth === this.recordsAt;
      if (container && c === ',') {
        out += this.emit();
        continue;
      }
      if (container && (c === ']' || c === '}')) {
        out += this.emit();
        this.depth--;
        this.mode = this.depth === 0 ? 'none' : 'rest';
        continue;
      }
      const memberStart = this.mode === 'object' && this.depth === 1;
      if (memberStart && c === ',') {
        this.members++;
        this.keyAt = -2;
      }
      this.keep(c);
      if (c === '"') {
        this.inString = true;
        // -2: the next string at depth 1 is a member's key.
        if (memberStart && this.keyAt === -2) this.keyAt = this.record.length - 1;
      } else if (c === '{' || c === '[') {
        this.depth++;
        if (this.mode === 'object' && this.depth === 2 && c === '[')
          this.arrayStart = this.members === 0 || this.key === 'items';
      } else if (c === '}' || c === ']') {
        this.depth--;
        if (this.depth === 0) {
          if (this.mode === 'object') out += this.emit();
          this.mode = 'none';
        }
      }
    }
    return out;
  }

  /** The record or text the input ended in (a file cut short). */
  end(): string {
    return this.flushStray() + (this.mode === 'rest' ? '' : this.emit());
  }

  private keep(c: string): void {
    if (this.mode !== 'rest' && this.record.length < MAX_RECORD_CHARS) this.record += c;
  }

  private emit(): string {
    const line = this.record ? `${this.record}\n` : '';
    this.record = '';
    return line;
  }

  private flushStray(): string {
    const line = this.stray ? `${this.stray.trimEnd()}\n` : '';
    this.stray = '';
    return line;
  }
}
