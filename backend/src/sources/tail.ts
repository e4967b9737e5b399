import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Where a reader stands in a file: the inode (to notice rotation) and the byte offset after the last whole line. */
export interface TailPosition {
  ino: number;
  offset: number;
}

export interface TailLine {
  line: string;
  /** The position just after this line: resuming there reads the next line. */
  position: TailPosition;
}

const CHUNK = 1 << 20;
const NEWLINE = 0x0a;

/**
 * Follows one file path as `tail -F` does, by polling: appended lines, rotation (rename + a new file at the path:
 * the old file is read to its end first) and truncation (copytruncate: starts again at 0). Only whole, non-empty lines
 * are returned; a line longer than `maxLineBytes` is cut into pieces of that size so memory stays bounded.
 */
export class FileTail {
  private fd?: FileHandle;
  private ino = 0;
  private offset = 0;
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
      this.offset = from.offset <= size ? from.offset : 0;
      return [];
    }
    return this.drainRotated(from);
  }

  /** The lines written since the last call. */
  async poll(): Promise<TailLine[]> {
    if (!this.fd && !(await this.reopen())) return [];
    const lines = await this.readToEnd();
    const now = await stat(this.path).catch(() => undefined);
    if (!now) return lines; // renamed away, the new file not created yet: keep reading the old one
    if (now.ino !== this.ino) {
      await this.close();
      if (await this.reopen()) lines.push(...(await this.readToEnd()));
    } else if (now.size < this.offset) {
      this.offset = 0;
      this.partial = Buffer.alloc(0);
      lines.push(...(await this.readToEnd()));
    }
    return lines;
  }

  position(): TailPosition {
    return { ino: this.ino, offset: this.offset - this.partial.length };
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
      const lines = await old.readToEnd();
      await old.close();
      return lines;
    }
    return [];
  }

  private async readToEnd(): Promise<TailLine[]> {
    const fd = this.fd!;
    const size = (await fd.stat()).size;
    const lines: TailLine[] = [];
    const buf = Buffer.allocUnsafe(CHUNK);
    while (this.offset < size) {
      const { bytesRead } = await fd.read(buf, 0, Math.min(CHUNK, size - this.offset), this.offset);
      if (bytesRead === 0) break;
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
        lines.push({ line: piece.toString('utf8'), position: { ino: this.ino, offset: this.offset - this.partial.length } });
      }
    }
    return lines;
  }

  private emit(lines: TailLine[], tail: Buffer, end: number) {
    let bytes = this.partial.length > 0 ? Buffer.concat([this.partial, tail]) : tail;
    this.partial = Buffer.alloc(0);
    if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, -1);
    for (let at = 0; at < bytes.length; at += this.maxLineBytes) {
      const piece = bytes.subarray(at, at + this.maxLineBytes);
      lines.push({ line: piece.toString('utf8'), position: { ino: this.ino, offset: end } });
    }
  }
}
