import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { LogSink, LogStream, SinkStats } from './sink.js';

const FLUSH_BYTES = 64 << 10;
const FLUSH_MS = 200;

/**
 * A log file that rotates by size: `access.log` -> `access.log.1` -> `access.log.2` ..., keeping `maxFiles`
 * rotated files. A rotation happens only between lines, so every line lands whole in exactly one file.
 */
export class RotatingFile {
  private fd: number;
  private size: number;
  private pending: string[] = [];
  private pendingBytes = 0;

  constructor(
    readonly path: string,
    private readonly maxBytes: number,
    private readonly maxFiles: number,
  ) {
    this.fd = openSync(path, 'a');
    this.size = statSync(path).size;
  }

  append(line: string): void {
    this.pending.push(line);
    this.pendingBytes += Buffer.byteLength(line) + 1;
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
  }

  /** Writes the pending lines; returns how many could not be written (the error is reported on stderr). */
  flush(): number {
    const lines = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    let done = 0;
    try {
      for (const line of lines) {
        const bytes = Buffer.from(line + '\n');
        if (this.size > 0 && this.size + bytes.length > this.maxBytes) this.rotate();
        writeFully(this.fd, bytes);
        this.size += bytes.length;
        done++;
      }
    } catch (err) {
      process.stderr.write(
        `anomalog-generate: cannot write ${this.path}: ${(err as Error).message}; ${lines.length - done} line(s) lost\n`,
      );
    }
    return lines.length - done;
  }

  /** Flushes and closes; returns the number of lines lost. */
  close(): number {
    const lost = this.flush();
    closeSync(this.fd);
    return lost;
  }

  private rotate(): void {
    closeSync(this.fd);
    rmSync(`${this.path}.${this.maxFiles}`, { force: true });
    for (let i = this.maxFiles - 1; i >= 1; i--)
      if (existsSync(`${this.path}.${i}`)) renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
    renameSync(this.path, `${this.path}.1`);
    this.fd = openSync(this.path, 'a');
    this.size = 0;
  }
}

function writeFully(fd: number, bytes: Buffer): void {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}

/** Writes `access.log` and `app.log` under `dir`, rotated by size. */
export function fileSink(opts: { dir: string; maxBytes?: number; maxFiles?: number }): LogSink {
  mkdirSync(opts.dir, { recursive: true });
  const maxBytes = opts.maxBytes ?? 50 << 20;
  const maxFiles = opts.maxFiles ?? 10;
  const files: Record<LogStream, RotatingFile> = {
    access: new RotatingFile(join(opts.dir, 'access.log'), maxBytes, maxFiles),
    app: new RotatingFile(join(opts.dir, 'app.log'), maxBytes, maxFiles),
  };
  let written = 0;
  let dropped = 0;
  const flushAll = () => Object.values(files).forEach((f) => (dropped += f.flush()));
  const timer = setInterval(flushAll, FLUSH_MS).unref();
  return {
    write(stream, line) {
      files[stream].append(line);
      written++;
    },
    async flush() {
      flushAll();
    },
    async close() {
      clearInterval(timer);
      Object.values(files).forEach((f) => (dropped += f.close()));
    },
    stats: (): SinkStats[] => [{ name: `file:${opts.dir}`, written: written - dropped, dropped }],
  };
}
