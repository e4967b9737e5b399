import { readFile } from 'node:fs/promises';
import { writeDurable } from '../durable.js';
import type { FileCheckpoint } from './files.js';

/** Where the watcher stands in every stream it follows. */
export interface Checkpoint {
  version: 2;
  /**
   * Per followed file, keyed by its identity (`<inode>:<first-line fingerprint>`): where it is, and the offset of
   * the first line not yet scored and delivered. Version 1 keyed files by path (`legacy:<path>` once loaded).
   */
  files: Record<string, FileCheckpoint>;
  /** Per watched selector on Loki: the last timestamp handled (ns) and the lines already handled at it. */
  loki: Record<string, { ts: string; seen: string[] }>;
}

export const emptyCheckpoint = (): Checkpoint => ({ version: 2, files: {}, loki: {} });

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

export async function loadCheckpoint(path: string): Promise<Checkpoint> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyCheckpoint();
    throw err;
  }
  let doc: { version?: number; files?: Record<string, unknown>; loki?: Checkpoint['loki'] };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch {
    throw new CheckpointError(
      `the watcher checkpoint ${path} is not valid JSON: fix or delete it (deleting restarts from the end of each stream)`,
    );
  }
  if (doc.version === 1) {
    const files: Checkpoint['files'] = {};
    for (const [file, pos] of Object.entries(doc.files ?? {}) as [string, { ino: number; offset: number }][]) {
      files[`legacy:${file}`] = { file: { path: file, labels: {}, format: 'auto' }, ino: pos.ino, offset: pos.offset };
    }
    return { version: 2, files, loki: doc.loki ?? {} };
  }
  if (doc.version !== 2)
    throw new CheckpointError(`the watcher checkpoint ${path} has version ${String(doc.version)}, expected 2`);
  return { version: 2, files: (doc.files ?? {}) as Checkpoint['files'], loki: doc.loki ?? {} };
}

/** Crash-safe: temp file, fsync, rename, fsync of the directory; a crash leaves the old or the new checkpoint. */
export async function saveCheckpoint(path: string, checkpoint: Checkpoint): Promise<void> {
  await writeDurable(path, JSON.stringify(checkpoint));
}
