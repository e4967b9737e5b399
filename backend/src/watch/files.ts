import { open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { LabelMatcher } from '../logql/selector.js';
import type { FileSource, FileStream } from '../sources/file.js';
import { fingerprint, type FileTail, type TailLine } from '../sources/tail.js';
import { inShard, type Shard } from '../stream.js';

/** One followed file in the checkpoint: where it was, its identity (inode + first-line fingerprint) and offset. */
export interface FileCheckpoint {
  file: FileStream;
  ino: number;
  fp?: string;
  /** Byte offset of the first line not yet scored and delivered. */
  offset: number;
}

/** An open file the watcher reads: found at a configured path, or rotated away and read until it goes idle. */
export interface Followed {
  key: string;
  file: FileStream;
  tail: FileTail;
  ino: number;
  fp: string;
  /** When bytes last arrived (ms); a file no longer at a watched path is closed after `rotateWaitMs` without any. */
  lastGrowth: number;
  /** Found at a watched path in the last scan. */
  present: boolean;
}

export interface FileSetOptions {
  /** Where a file without a checkpoint starts when it is there at the first scan (later files start at 0). */
  from: 'start' | 'end';
  /** How long a rotated-away or deleted file is still read after its last growth (Fluent Bit's Rotate_Wait). */
  rotateWaitMs: number;
  /** Scale-out: only the files whose streams are this replica's share (`watch.shard`). */
  shard?: Shard;
}

const keyOf = (ino: number, fp: string) => `${ino}:${fp}`;

/**
 * The files the watcher follows, identified as Vector and Fluent Bit identify them: by inode plus a checksum of the
 * first line, never by path. So a rotated file (renamed, even to a name the glob matches) is the same file and is
 * read on from where it was, until it stays idle for `rotateWaitMs`; a file truncated and refilled (copytruncate,
 * even past the old offset) has a new fingerprint and is read from 0; a new file at the path is a new file.
 */
export class FileSet {
  private readonly open = new Map<string, Followed>();
  private scanned = false;

  constructor(
    private readonly source: FileSource,
    private readonly selectors: readonly LabelMatcher[][],
    private restoring: Map<string, FileCheckpoint>,
    private readonly opts: FileSetOptions,
  ) {}

  /**
   * Finds new files, notices rotation and truncation; then reads up to `maxBytes` of lines over all files, handing
   * each file's lines to `each` as soon as they are read (so they are scored and let go before the next file's are
   * read: lines kept for a whole cycle outlive the young-generation collections, and 1,000 files' worth grew the heap
   * by 500 MB in 15 s before a full collection). True when more was waiting to be read.
   */
  async read(maxBytes: number, each: (followed: Followed, lines: TailLine[]) => Promise<void>): Promise<boolean> {
    await this.scan();
    let budget = maxBytes;
    let more = false;
    for (const followed of [...this.open.values()]) {
      const before = followed.tail.position().offset;
      const lines = budget > 0 ? await followed.tail.read(budget) : [];
      const after = followed.tail.position().offset;
      budget -= after - before;
      const { size, nlink } = await followed.tail.stat();
      if (after > before) followed.lastGrowth = Date.now();
      if (size > after) more = true;
      if (lines.length > 0) await each(followed, lines);
      const gone = !followed.present && size <= after && Date.now() - followed.lastGrowth >= this.opts.rotateWaitMs;
      if (gone || (nlink === 0 && size <= after && !followed.present)) {
        await followed.tail.close();
        this.open.delete(followed.key);
      }
    }
    return more;
  }

  /** The open files (for the checkpoint). */
  files(): Followed[] {
    return [...this.open.values()];
  }

  async close(): Promise<void> {
    for (const f of this.open.values()) await f.tail.close();
    this.open.clear();
  }

  private async scan() {
    // First, files truncated or refilled under the same inode (copytruncate): read from 0 as new files; and the copy,
    // found beside them by fingerprint, is read on from the old offset, so lines written just before the copy count.
    for (const f of [...this.open.values()]) {
      if (!(await f.tail.replaced())) continue;
      // The fingerprint the tail read last (f.fp may be empty: the file was once truncated to nothing).
      const old = { fp: f.tail.position().fp ?? f.fp, offset: f.tail.position().offset };
      f.tail.restart();
      await f.tail.read(0);
      this.open.delete(f.key);
      f.fp = f.tail.position().fp ?? '';
      f.key = keyOf(f.ino, f.fp);
      this.open.set(f.key, f);
      await this.followCopy(f, old);
    }
    const found = new Map<string, FileStream>();
    for (const matchers of this.selectors)
      for (const f of await this.source.files(matchers)) if (inShard(f.labels, this.opts.shard)) found.set(f.path, f);
    for (const f of this.open.values()) f.present = false;
    for (const file of found.values()) {
      const st = await stat(file.path).catch(() => undefined);
      if (!st) continue;
      const known = [...this.open.values()].find((f) => f.ino === st.ino);
      if (known) {
        known.present = true;
        continue;
      }
      const followed = await this.follow(file, this.scanned ? 'start' : this.opts.from);
      if (followed) followed.present = true;
    }
    if (!this.scanned) await this.restoreRotated();
    this.scanned = true;
  }

  /** The copy copytruncate made of `f` (same first line, another inode), read from where `f` was. */
  private async followCopy(f: Followed, old: { fp: string; offset: number }) {
    const copy = await this.findBeside(f.file.path, (ino, fp) => ino !== f.ino && fp === old.fp);
    if (copy)
      await this.follow({ ...f.file, path: copy }, 'start', { file: f.file, ino: 0, fp: old.fp, offset: old.offset });
  }

  /** A file in the directory of `path`, named like it, whose inode and fingerprint satisfy `test`. */
  private async findBeside(
    path: string,
    test: (ino: number, fp: string | undefined) => boolean,
  ): Promise<string | undefined> {
    const dir = dirname(path);
    const stem = basename(path).split('.')[0];
    for (const name of (await readdir(dir).catch(() => [] as string[])).filter((n) => n.startsWith(stem))) {
      const candidate = join(dir, name);
      const fd = await open(candidate, 'r').catch(() => undefined);
      if (!fd) continue;
      try {
        if (test((await fd.stat()).ino, await fingerprint(fd))) return candidate;
      } finally {
        await fd.close();
      }
    }
    return undefined;
  }

  /** Opens a file at its checkpoint, or at `from` when it has none. Waits while it has no whole first line. */
  private async follow(file: FileStream, from: 'start' | 'end', at?: FileCheckpoint): Promise<Followed | undefined> {
    const tail = this.source.tail(file);
    if (!(await tail.openAt(0))) return undefined;
    const { ino, fp } = tail.position();
    if (fp === undefined) {
      await tail.close();
      return undefined;
    }
    const key = keyOf(ino, fp);
    if (this.open.has(key)) {
      await tail.close();
      return undefined;
    }
    const saved = at ?? this.restoring.get(key) ?? this.legacy(file, ino);
    this.restoring.delete(key);
    const { size } = await tail.stat();
    tail.seek(saved ? (saved.offset <= size ? saved.offset : 0) : from === 'end' ? size : 0);
    const followed: Followed = {
      key,
      file: saved?.file ?? file,
      tail,
      ino,
      fp,
      lastGrowth: Date.now(),
      present: false,
    };
    this.open.set(key, followed);
    return followed;
  }

  /** A version-1 checkpoint knew files by path and inode only. */
  private legacy(file: FileStream, ino: number): FileCheckpoint | undefined {
    const old = this.restoring.get(`legacy:${file.path}`);
    return old && old.ino === ino ? { ...old, file } : undefined;
  }

  /**
   * After a restart: checkpointed files rotated away from the watched paths are found beside them, by inode and
   * fingerprint (renamed), or by fingerprint alone (a copytruncate copy), and read on from their offset.
   */
  private async restoreRotated() {
    for (const [key, saved] of this.restoring) {
      if (key.startsWith('legacy:') || this.open.has(key) || saved.fp === undefined) continue;
      const path =
        (await this.findBeside(saved.file.path, (ino, fp) => ino === saved.ino && fp === saved.fp)) ??
        (await this.findBeside(
          saved.file.path,
          (ino, fp) => fp === saved.fp && ![...this.open.values()].some((f) => f.ino === ino),
        ));
      if (path) await this.follow({ ...saved.file, path }, 'start', saved);
    }
    this.restoring.clear();
  }
}
