/**
 * Crash-safe file writes, the ground the service side stands on (checkpoint, models, feedback, uploads): a crash or
 * a kill -9 at any point leaves the old content or the new, never a torn or empty file.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** fsyncs a directory, so a rename or a new file in it survives a power loss. Not every platform allows it. */
export async function syncDir(dir: string): Promise<void> {
  const fd = await open(dir, 'r').catch(() => undefined);
  if (!fd) return;
  try {
    await fd.sync();
  } catch (err) {
    if (!['EINVAL', 'EISDIR', 'EPERM', 'EBADF'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
  } finally {
    await fd.close();
  }
}

/** The temp name `writeDurable` uses beside `path`: `.<name>.<random>.tmp` (swept by `removeTemps`). */
const tempName = (path: string) => join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
const TEMP = /^\..+\.[0-9a-f]{12}\.tmp$/;

/**
 * Writes `data` to `path` atomically and durably: a temp file beside it, fsync, rename over `path`, fsync the
 * directory. On any error (ENOSPC, EACCES, EIO) the temp file is removed and `path` is untouched.
 */
export async function writeDurable(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = tempName(path);
  try {
    const fd = await open(temp, 'w');
    try {
      await fd.writeFile(data);
      await fd.sync();
    } finally {
      await fd.close();
    }
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
  await syncDir(dir);
}

/** Renames durably (the directories of both ends are synced). */
export async function renameDurable(from: string, to: string): Promise<void> {
  await rename(from, to);
  await syncDir(dirname(to));
  if (dirname(from) !== dirname(to)) await syncDir(dirname(from));
}

/** Removes temp files a crash left in `dir` (from `writeDurable`); returns how many. */
export async function removeTemps(dir: string): Promise<number> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => TEMP.test(n) || /\.\d+\.tmp$/.test(n));
  for (const name of names) await rm(join(dir, name), { force: true }).catch(() => undefined);
  return names.length;
}

/** Errors of the disk rather than of the program: reported and retried, never fatal to the service. */
export function isDiskError(err: unknown): boolean {
  return ['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EIO', 'EROFS', 'EMFILE', 'ENFILE'].includes(
    (err as NodeJS.ErrnoException)?.code ?? '',
  );
}
