import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { TailPosition } from '../sources/tail.js';

/** Where the watcher stands in every stream it follows. */
export interface Checkpoint {
  version: 1;
  /** Per file path: inode and byte offset after the last line handled. */
  files: Record<string, TailPosition>;
  /** Per watched selector on Loki: the last timestamp handled (ns) and the lines already handled at it. */
  loki: Record<string, { ts: string; seen: string[] }>;
}

const emptyCheckpoint = (): Checkpoint => ({ version: 1, files: {}, loki: {} });

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
  let doc: Partial<Checkpoint>;
  try {
    doc = JSON.parse(text) as Partial<Checkpoint>;
  } catch {
    throw new CheckpointError(`the watcher checkpoint ${path} is not valid JSON: fix or delete it (deleting restarts from the end of each stream)`);
  }
  if (doc.version !== 1) throw new CheckpointError(`the watcher checkpoint ${path} has version ${String(doc.version)}, expected 1`);
  return { version: 1, files: doc.files ?? {}, loki: doc.loki ?? {} };
}

/** Atomic: written to a temp file beside it, then renamed over it, so a crash leaves the old or the new one. */
export async function saveCheckpoint(path: string, checkpoint: Checkpoint): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(checkpoint));
  await rename(temp, path);
}
