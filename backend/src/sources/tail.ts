import { createHash } from 'node:crypto';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

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
  /** The position just after this line: resuming there reads the next line. */
  position: TailPosition;
  /** The byte offset where this line starts. */
  start: number;
}

const CHUNK = 1 << 20;
const NEWLINE = 0x0a;
/** A file's fingerprint is a checksum of its first line, up to this many bytes (as Vector's `checksum` fingerprint). */
export const FINGERPRINT_BYTES = 1024;

/**
 * The fingerprint of an open file: a checksum of its first line (or first FINGERPRINT_BYTES bytes), undefined while
 * the file has no whole first line yet. Unlike the inode, it changes when a file is truncated and refilled, and it
 * follows a file through a rename.
 */
export async function fingerprint(fd: FileHandle): Promise<string | undefined> {
  const buf = Buffer.alloc(FINGERPRINT_BYTES);
  const { bytesRead } = await fd.read(buf, 0, FINGERPRINT_BYTES, 0);
  const newline = buf.subarray(0, bytesRead).indexOf(NEWLINE);
  const end = newline >= 0 ? newline + 1 : bytesRead === FINGERPRINT_BYTES ? bytesRead : -1;
  if (end <= 0) return undefined;
  return createHash('sha256').update(buf.subarray(0, end)).digest('hex').slice(0, 16);
}

/**
 * Follows one file path as `tail -F` does, by polling: appended lines, rotation (rename + a new file at the path:
 * the old file is read to its end first) and truncation (copytruncate: starts again at 0). Only whole, non-empty lines
 * are returned; a line longer than `maxLineBytes` is cut into pieces of that size so memory stays bounded.
 *
 * `read(maxBytes)` reads a bounded batch from the open file only (no rotation handling): the watcher's file set
 * decides about rotation and truncation by fingerprint.
 */
export class FileTail {
  private fd?: FileHandle;
  private ino = 0;
  private offset = 0;
  private fp?: string;
  private partial: Buffer = Buffer.alloc(0);

  constructor(
    readonly path: string,
    private readonly maxLineBytes = 64 * 1024,
  ) {}

  /**
   * Positions the reader: at a checkpoint, or at the start or end of the file. When the checkpoint's file was rotated
   * away meanwhile, it is found by inode beside the path and its unread lines are returned.
   */
  async open(from: TailPosition | 'start' | 'end'): Promise<TailLine[]> {
    if (!(await this.reopen())) {
      return [];
    }
    if (from === 'start') return [];
    const size = (await this.fd!.stat()).size;
    if (from === 'end') {
      this.offset = size;
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
    if (!(await this.reopen())) return false;
    const size = (await this.fd!.stat()).size;
    this.offset = offset <= size ? offset : 0;
    return true;
  }

  /** Moves the reader of the open file to `offset` (a line start). */
  seek(offset: number): void {
    this.offset = offset;
    this.partial = Buffer.alloc(0);
  }

  /** The lines written since the last call. */
  async poll(): Promise<TailLine[]> {
    if (!this.fd && !(await this.reopen())) return [];
    const lines = await this.read();
    const now = await stat(this.path).catch(() => undefined);
    if (!now) return lines; // renamed away, the new file not created yet: keep reading the old one
    if (now.ino !== this.ino) {
      await this.close();
      if (await this.reopen()) append(lines, await this.read());
    } else if (now.size < this.offset || (await this.replaced())) {
      this.restart();
      append(lines, await this.read());
    }
    return lines;
  }

  /** Inode, fingerprint and the offset after the last whole line returned. */
  position(): TailPosition {
    return { ino: this.ino, offset: this.offset - this.partial.length, fp: this.fp };
  }

  /** The open file's size and link count (0 links: deleted). */
  async stat(): Promise<{ size: number; nlink: number }> {
    const st = await this.fd!.stat();
    return { size: st.size, nlink: st.nlink };
  }

  /** True when the open file was truncated or its first line changed since it was opened (copytruncate, reuse). */
  async replaced(): Promise<boolean> {
    if (!this.fd) return false;
    const { size } = await this.fd.stat();
    if (size < this.offset - this.partial.length) return true;
    const now = await fingerprint(this.fd);
    if (this.fp === undefined) {
      this.fp = now;
      return false;
    }
    return now !== this.fp;
  }

  /** Starts the open file again from 0 (after truncation), with its new fingerprint. */
  restart(): void {
    this.offset = 0;
    this.partial = Buffer.alloc(0);
    this.fp = undefined;
  }

  async close(): Promise<void> {
    await this.fd?.close().catch(() => undefined);
    this.fd = undefined;
  }

  private async reopen(): Promise<boolean> {
    try {
      this.fd = await open(this.path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    this.ino = (await this.fd.stat()).ino;
    this.fp = await fingerprint(this.fd);
    this.offset = 0;
    this.partial = Buffer.alloc(0);
    return true;
  }

  private async drainRotated(from: TailPosition): Promise<TailLine[]> {
    const dir = dirname(this.path);
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.startsWith(basename(this.path).split('.')[0]))) {
      const st = await stat(join(dir, name)).catch(() => undefined);
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

  /**
   * Reads whole lines from the open file, from where the last read stopped, until its end or until about
   * `maxBytes` were read (whole chunks: a batch can end mid-line, the rest of the line comes with the next read).
   */
  async read(maxBytes = Infinity): Promise<TailLine[]> {
    const fd = this.fd;
    if (!fd) return [];
    const size = (await fd.stat()).size;
    if (this.fp === undefined) this.fp = await fingerprint(fd);
    const lines: TailLine[] = [];
    // Only as big as what is there to read: a tail read every cycle finds a few KB, and a fresh 1 MiB each time was
    // 1 GB of buffers per watcher cycle over 1,000 files (bench/streams.bench.ts), each page slow to fault in.
    const buf = Buffer.allocUnsafe(Math.max(0, Math.min(CHUNK, size - this.offset, maxBytes)));
    let budget = maxBytes;
    while (this.offset < size && budget > 0) {
      const { bytesRead } = await fd.read(buf, 0, Math.min(CHUNK, size - this.offset, budget), this.offset);
      if (bytesRead === 0) break;
      budget -= bytesRead;
      const base = this.offset;
      this.offset += bytesRead;
      let start = 0;
      for (let i = 0; i < bytesRead; i++) {
        if (buf[i] !== NEWLINE) continue;
        this.emit(lines, buf.subarray(start, i), base + i + 1);
        start = i + 1;
      }
      this.partial = Buffer.concat([this.partial, buf.subarray(start, bytesRead)]);
      while (this.partial.length > this.maxLineBytes) {
        const piece = this.partial.subarray(0, this.maxLineBytes);
        this.partial = this.partial.subarray(this.maxLineBytes);
        const end = this.offset - this.partial.length;
        lines.push({
          line: piece.toString('utf8'),
          start: end - piece.length,
          position: { ino: this.ino, offset: end, fp: this.fp },
        });
      }
    }
    return lines;
  }

  private emit(lines: TailLine[], tail: Buffer, end: number) {
    let bytes = this.partial.length > 0 ? Buffer.concat([this.partial, tail]) : tail;
    const first = end - 1 - bytes.length;
    this.partial = Buffer.alloc(0);
    if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, -1);
    for (let at = 0; at < bytes.length; at += this.maxLineBytes) {
      const piece = bytes.subarray(at, at + this.maxLineBytes);
      lines.push({
        line: piece.toString('utf8'),
        start: first + at,
        position: { ino: this.ino, offset: end, fp: this.fp },
      });
    }
  }
}

/** Appends without spreading: `push(...lines)` overflows the stack past about 100,000 lines. */
function append<T>(into: T[], more: readonly T[]): void {
  for (const x of more) into.push(x);
}
