import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const BACKEND = fileURLToPath(new URL('..', import.meta.url));
/** The build sits at the depth of src/, so that paths relative to a module (../../../plugin) hold in both. */
const DIRS = { src: join(BACKEND, 'src'), out: join(BACKEND, '.compiled') };
const STAMP = '.sources';

/**
 * The CLI's entry compiled to plain JavaScript, rebuilt with esbuild (a fraction of a second) when any file under
 * src/ changed. Loading plain modules skips tsx's loader thread, which costs about half a second per process and per
 * scan worker. undefined when it cannot be built here (a read-only install): the caller runs the sources with tsx.
 */
export async function compiledEntry({ src, out } = DIRS) {
  try {
    const files = sourceFiles(src);
    const stamp = fingerprint(src, files);
    if (readStamp(out) !== stamp) await build(src, out, files, stamp);
    return pathToFileURL(join(out, 'cli', 'main.js')).href;
  } catch (e) {
    if (process.env.ANOMALOG_DEBUG) process.stderr.write(`anomalog: running the TypeScript sources (cannot compile: ${e.message})\n`);
    return undefined;
  }
}

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && !d.name.endsWith('.test.ts'))
    .map((d) => join(d.parentPath ?? d.path, d.name))
    .sort();
}

function fingerprint(src, files) {
  const hash = createHash('sha256');
  for (const f of files) {
    const s = statSync(f);
    hash.update(`${relative(src, f)}\0${s.size}\0${s.mtimeMs}\n`);
  }
  return hash.digest('hex');
}

function readStamp(out) {
  try {
    return readFileSync(join(out, STAMP), 'utf8');
  } catch {
    return undefined;
  }
}

/** Builds into a fresh directory, then swaps it in, so that a concurrent run never sees half a build. */
async function build(src, out, files, stamp) {
  const { buildSync } = await import('esbuild');
  const tmp = `${out}-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const sources = files.filter((f) => f.endsWith('.ts'));
  buildSync({ entryPoints: sources, outdir: tmp, outbase: src, format: 'esm', platform: 'node', target: 'node20', logLevel: 'silent' });
  for (const f of files.filter((f) => !f.endsWith('.ts'))) {
    const to = join(tmp, relative(src, f));
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(f, to);
  }
  writeFileSync(join(tmp, STAMP), stamp);
  const old = `${out}-old-${process.pid}`;
  try {
    renameSync(out, old);
  } catch (e) {
    if (e.code !== 'ENOENT') throw e;
  }
  try {
    renameSync(tmp, out);
  } catch (e) {
    // Another run swapped its build in first: it is built from the same sources.
    if (readStamp(out) !== stamp) throw e;
    rmSync(tmp, { recursive: true, force: true });
  }
  rmSync(old, { recursive: true, force: true });
}
