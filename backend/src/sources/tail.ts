import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { encodingOf, type TextEncoding } from '../parsing/lines.js';

/**
 * Where a reader stands in a file: the inode, the fingerprint of its first line (to tell a replaced or truncated
 * file from the one read so far) and the byte offset after the last whole line.
 */
export interface TailPosition {
  ino: number;
  offset: number;
  fp?: string;
}

export interface TailLine {
  line: string;
  /** The byte offset where this line starts. */
  start: number;
  /** The byte offset just after it (its newline): resuming there reads the next line. */
  end: number;
}

const CHUNK = 1 << 20;
const NEWLINE = 0x0a;
const CR = 0x0d;
const EMPTY = Buffer.alloc(0);
/** A file's fingerprint is a checksum of its first line, up to this many bytes (as Vector's `checksum` fingerprint). */
export const FINGERPRINT_BYTES = 1024;
/** Bytes a file's encoding is told from: a byte-order mark, or zero bytes beside the characters (see `encodingOf`). */
const ENCODING_HEAD_BYTES = 1024;

/**
 * Why the file system is asked synchronously here: the watcher asks every followed file each cycle whether it grew,
 * and over 1,000 files the promise API's thread-pool round trip was the cost, not the system call. Measured on the
 * 2-core development machine, 1,000 open files: `fd.stat()` in sequence 54-67 ms (45-54 ms of CPU), `fstatSync`
 * 1.1-1.8 ms; a 4 KB `fd.read()` 21-27 ms, `readSync` 2-10 ms. A local file answers from the page cache in
 * microseconds, and one call reads at most CHUNK bytes, so the event loop is never held long. Being synchronous, all
 * tails share one read buffer: no buffer is allocated per read.
 */
let scratch: Buffer | undefined;
const readBuffer = () => (scratch ??= Buffer.allocUnsafe(CHUNK));

/**
 * The fingerprint of an open file: a checksum of its first line (or first FINGERPRINT_BYTES bytes), undefined while
 * the file has no whole first line yet. Unlike the inode, it changes when a file is truncated and refilled, and it
 * follows a file through a rename.
 */
export function fingerprint(fd: number): string | undefined {
  const buf = readBuffer();
  const bytesRead = readSync(fd, buf, 0, FINGERPRINT_BYTES, 0);
  const newline = buf.subarray(0, bytesRead).indexOf(NEWLINE);
  const end = newline >= 0 ? newline + 1 : bytesRead === FINGERPRINT_BYTES ? bytesRead : -1;
  if (end <= 0) return undefined;
  return createHash('sha256').update(buf.subarray(0, end)).digest('hex').slice(0, 16);
}

/** What one look at an open file found (`FileTail.next`). */
export interface TailRead {
  /** The whole lines read: none when the file was replaced. */
  lines: TailLine[];
  /** Its size and link count (0 links: deleted), from the one `fstat` of the look. */
  size: number;
  nlink: number;
  /** Shorter than what was read of it, or its first line changed: truncated (copytruncate) or refilled. */
  replaced: boolean;
  /** Bytes were left unread (the read was cut at `maxBytes`, or the file was replaced). */
  more: boolean;
  /** Bytes read (a line cut at `maxBytes` counts with the bytes of it read). */
  bytes: number;
}

/**
 * Follows one file path as `tail -F` does, by polling: appended lines, rotation (rename + a new file at the path:
 * the old file is read to its end first) and truncation (copytruncate: starts again at 0). Only whole, non-empty lines
 * are returned; a line longer than `maxLineBytes` is cut into pieces of that size so memory stays bounded.
 *
 * `next(maxBytes)` and `read(maxBytes)` read a bounded batch from the open file only (no rename handling): the
 * watcher's file set decides about rotation by inode and fingerprint.
 */
export class FileTail {
  private fd?: number;
  private ino = 0;
  private offset = 0;
  private fp?: string;
  private partial: Buffer = EMPTY;
  /** Told by the file's first bytes at the first read (see `encodingOf`), and again after truncation. */
  private encoding?: TextEncoding;

  constructor(
    readonly path: string,
    private readonly maxLineBytes = 64 * 1024,
  ) {}

  /**
   * Positions the reader: at a checkpoint, or at the start or end of the file. When the checkpoint's file was rotated
   * away meanwhile, it is found by inode beside the path and its unread lines are returned.
   */
  async open(from: TailPosition | 'start' | 'end'): Promise<TailLine[]> {
    if (!this.reopen()) return [];
    if (from === 'start') return [];
    const { size } = fstatSync(this.fd!);
    if (from === 'end') {
      // In UTF-16 a line starts at an even offset: a half-written character is read with its line.
      this.offset = isWide(this.textEncoding(size)) ? size & ~1 : size;
      return [];
    }
    if (from.ino === this.ino) {
      this.offset = from.offset <= size && (from.fp === undefined || from.fp === this.fp) ? from.offset : 0;
      return [];
    }
    return this.drainRotated(from);
  }

  /** Opens the path at `offset` (0 when the file is now shorter). False when there is no file. */
  async openAt(offset: number): Promise<boolean> {
    if (!this.reopen()) return false;
    const { size } = fstatSync(this.fd!);
    this.offset = offset <= size ? offset : 0;
    return true;
  }

  /** Moves the reader of the open file to `offset` (a line start). */
  seek(offset: number): void {
    this.offset = offset;
    this.partial = EMPTY;
  }

  /** The lines written since the last call. */
  async poll(): Promise<TailLine[]> {
    if (!this.fd && !this.reopen()) return [];
    const { lines, replaced } = this.next();
    const now = statSync(this.path, { throwIfNoEntry: false });
    if (!now) return lines; // renamed away, the new file not created yet: keep reading the old one
    if (now.ino !== this.ino) {
      await this.close();
      if (this.reopen()) append(lines, this.next().lines);
    } else if (replaced) {
      this.restart();
      append(lines, this.next().lines);
    }
    return lines;
  }

  /** Inode, fingerprint and the offset after the last whole line returned. */
  position(): TailPosition {
    return { ino: this.ino, offset: this.offset - this.partial.length, fp: this.fp };
  }

  /** The open file's size and link count (0 links: deleted). */
  async stat(): Promise<{ size: number; nlink: number }> {
    const { size, nlink } = fstatSync(this.fd!);
    return { size, nlink };
  }

  /** Starts the open file again from 0 (after truncation), with its new fingerprint. */
  restart(): void {
    this.offset = 0;
    this.partial = EMPTY;
    this.fp = undefined;
    this.encoding = undefined;
  }

  async close(): Promise<void> {
    const fd = this.fd;
    this.fd = undefined;
    if (fd === undefined) return;
    try {
      closeSync(fd);
    } catch {
      // already closed: nothing to release
    }
  }

  private reopen(): boolean {
    try {
      this.fd = openSync(this.path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    this.ino = fstatSync(this.fd).ino;
    this.fp = fingerprint(this.fd);
    this.offset = 0;
    this.partial = EMPTY;
    this.encoding = undefined;
    return true;
  }

  private async drainRotated(from: TailPosition): Promise<TailLine[]> {
    const dir = dirname(this.path);
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.startsWith(basename(this.path).split('.')[0]))) {
      const st = statSync(join(dir, name), { throwIfNoEntry: false });
      if (st?.ino !== from.ino || st.size < from.offset) continue;
      const old = new FileTail(join(dir, name), this.maxLineBytes);
      await old.open('start');
      old.offset = from.offset;
      const lines = await old.read();
      await old.close();
      return lines;
    }
    return [];
  }

  /** Reads whole lines from the open file, as `next` does, and returns them. */
  async read(maxBytes = Infinity): Promise<TailLine[]> {
    return this.next(maxBytes).lines;
  }

  /**
   * One look at the open file, costing one `fstat` when it did not grow: when it did, its whole lines from where the
   * last read stopped, until its end or until about `maxBytes` were read (whole chunks: a batch can end mid-line, the
   * rest of the line comes with the next read). The first line is checksummed again after the lines were read, and
   * only when some were: a file truncated and refilled past our offset between two looks (copytruncate) is
   * `replaced`, and what was read of it mid-way is not returned. A file shorter than our offset is `replaced` too.
   */
  next(maxBytes = Infinity): TailRead {
    const fd = this.fd;
    if (fd === undefined) return { lines: [], size: 0, nlink: 0, replaced: false, more: false, bytes: 0 };
    const { size, nlink } = fstatSync(fd);
    if (size < this.offset) return { lines: [], size, nlink, replaced: true, more: true, bytes: 0 };
    const known = this.fp;
    if (known === undefined && size > this.offset) this.fp = fingerprint(fd);
    const [offset, partial] = [this.offset, this.partial];
    const lines = this.readTo(size, maxBytes);
    if (known !== undefined && lines.length > 0 && fingerprint(fd) !== known) {
      // Not ours: the position stays where our file was left (where its copy, if any, is read on).
      const bytes = this.offset - offset;
      [this.offset, this.partial] = [offset, partial];
      return { lines: [], size, nlink, replaced: true, more: true, bytes };
    }
    // A UTF-16 file's odd last byte is half a character still being written: not more to read yet.
    const unread = size - this.offset > (isWide(this.encoding) ? 1 : 0);
    return { lines, size, nlink, replaced: false, more: unread, bytes: this.offset - offset };
  }

  private readTo(size: number, maxBytes: number): TailLine[] {
    const lines: TailLine[] = [];
    const wide = isWide(this.textEncoding(size));
    const buf = readBuffer();
    let budget = maxBytes;
    while (this.offset < size && budget > 0) {
      let want = Math.min(CHUNK, size - this.offset, budget);
      // UTF-16 is read to even offsets (a line's start, as the BOM is 2 bytes), so no character is split between reads.
      if (wide) want -= (this.offset + want) & 1;
      if (want <= 0) break;
      const bytesRead = readSync(this.fd!, buf, 0, want, this.offset);
      if (bytesRead === 0) break;
      budget -= bytesRead;
      const base = this.offset;
      this.offset += bytesRead;
      const got = buf.subarray(0, bytesRead);
      let start = 0;
      for (let i = got.indexOf(NEWLINE); i >= 0; i = got.indexOf(NEWLINE, i + 1)) {
        if (!wide) {
          this.emit(lines, got, start, i, base + i + 1);
          start = i + 1;
        } else if (this.encoding === 'utf-16le' ? isNewline(got, i, i + 1, base) : isNewline(got, i, i - 1, base)) {
          const end = ((base + i + 2) & ~1) - base; // after the 2-byte newline, whichever of its bytes is 0x0a
          this.emit(lines, got, start, end - 2, base + end);
          start = end;
        }
      }
      // The shared buffer is read into again: what is kept of it is copied.
      if (start < bytesRead) this.partial = Buffer.concat([this.partial, got.subarray(start)]);
      while (this.partial.length > this.pieceBytes) {
        const piece = this.partial.subarray(0, this.pieceBytes);
        this.partial = this.partial.subarray(this.pieceBytes);
        const end = this.offset - this.partial.length;
        lines.push({ line: this.decode(piece, 0, piece.length, end - piece.length), start: end - piece.length, end });
      }
    }
    return lines;
  }

  /**
   * Emits the line of `buf[from, to)` (after the held partial line), whose newline ends before `end`: one byte, or
   * two in UTF-16.
   */
  private emit(lines: TailLine[], buf: Buffer, from: number, to: number, end: number) {
    let bytes = buf;
    let at = from;
    let stop = to;
    if (this.partial.length > 0) {
      bytes = Buffer.concat([this.partial, buf.subarray(from, to)]);
      at = 0;
      stop = bytes.length;
      this.partial = EMPTY;
    }
    const wide = isWide(this.encoding);
    const first = end - (wide ? 2 : 1) - (stop - at);
    if (!wide) {
      if (stop > at && bytes[stop - 1] === CR) stop--;
    } else if (stop - at >= 2) {
      const [cr, zero] = this.encoding === 'utf-16le' ? [stop - 2, stop - 1] : [stop - 1, stop - 2];
      if (bytes[cr] === CR && bytes[zero] === 0) stop -= 2;
    }
    const pieceBytes = this.pieceBytes;
    for (let piece = at; piece < stop; piece += pieceBytes) {
      const start = first + (piece - at);
      lines.push({ line: this.decode(bytes, piece, Math.min(stop, piece + pieceBytes), start), start, end });
    }
  }

  /** The size of the pieces a long line is cut into: whole characters in UTF-16. */
  private get pieceBytes(): number {
    return isWide(this.encoding) ? Math.max(2, this.maxLineBytes & ~1) : this.maxLineBytes;
  }

  /** The text of `bytes[from, to)`, which starts at byte `start` of the file (where a byte-order mark is dropped). */
  private decode(bytes: Buffer, from: number, to: number, start: number): string {
    const text =
      this.encoding === 'utf-8'
        ? bytes.toString('utf8', from, to)
        : this.encoding === 'utf-16le'
          ? bytes.toString('utf16le', from, to)
          : Buffer.from(bytes.subarray(from, to)).swap16().toString('utf16le');
    return start === 0 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }

  /** The open file's encoding, told by its first bytes (read once it has any; UTF-8 while it is empty). */
  private textEncoding(size: number): TextEncoding {
    if (this.encoding) return this.encoding;
    if (size === 0) return 'utf-8';
    const head = readBuffer();
    const bytesRead = readSync(this.fd!, head, 0, Math.min(size, ENCODING_HEAD_BYTES), 0);
    return (this.encoding = encodingOf(head.subarray(0, bytesRead)));
  }
}

const isWide = (encoding?: TextEncoding): boolean => encoding === 'utf-16le' || encoding === 'utf-16be';

/** A UTF-16 newline: its 0x0a byte at `nl`, a zero at `zero`, the pair at an even offset of the file (`base` + index). */
function isNewline(buf: Buffer, nl: number, zero: number, base: number): boolean {
  return buf[nl] === NEWLINE && buf[zero] === 0 && ((base + Math.min(nl, zero)) & 1) === 0;
}

/** Appends without spreading: `push(...lines)` overflows the stack past about 100,000 lines. */
function append<T>(into: T[], more: readonly T[]): void {
  for (const x of more) into.push(x);
}
