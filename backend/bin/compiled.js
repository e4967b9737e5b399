import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const BACKEND = fileURLToPath(new URL('..', import.meta.url));
/**
 * Builds sit next to src/ (at its depth, so that paths relative to a module, like ../../../plugin, hold in both).
 * `workspaces` are the sources of the @anomalog/* packages the backend imports: TypeScript that plain Node cannot
 * load, so each build compiles in what it uses of them (once, in shared chunks), and their files count in the build's fingerprint.
 */
const DIRS = {
  src: join(BACKEND, 'src'),
  builds: BACKEND,
  workspaces: ['contract', 'cli-kit', 'generator']
    .map((w) => join(BACKEND, '..', w, 'src'))
    .filter((d) => existsSync(d)),
};
const PREFIX = '.compiled-';
/** Builds of older sources are removed once this old (a long-running service may still load modules from its own). */
const STALE_MS = 24 * 60 * 60 * 1000;

/**
 * The CLI's entry compiled to plain JavaScript. Each build is named by a fingerprint of the files under src/ and
 * never changes once made, so concurrent runs can share it; a changed source means a new build (esbuild, a fraction
 * of a second). Plain modules skip tsx's loader thread, which costs about half a second per process and per scan
 * worker. undefined when it cannot be built here (a read-only install): the caller runs the sources with tsx.
 */
export async function compiledEntry({ src, builds, workspaces = [] } = DIRS) {
  try {
    const files = sourceFiles(src);
    const out = join(builds, `${PREFIX}${fingerprint(src, [...files, ...workspaces.flatMap(sourceFiles)])}`);
    const entry = join(out, 'cli', 'main.js');
    if (!existsSync(entry)) await build(src, out, files);
    return pathToFileURL(entry).href;
  } catch (e) {
    if (process.env.ANOMALOG_DEBUG)
      process.stderr.write(`anomalog: running the TypeScript sources (cannot compile: ${e.message})\n`);
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
  return hash.digest('hex').slice(0, 16);
}

/** Builds into a temporary directory renamed into place, so that no run ever sees half a build. */
async function build(src, out, files) {
  const esbuild = await import('esbuild');
  const tmp = `${out}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  const sources = files.filter((f) => f.endsWith('.ts'));
  await esbuild.build({
    entryPoints: sources,
    outdir: tmp,
    outbase: src,
    bundle: true,
    // workspace code used by several files goes to shared chunks, so each module exists once (instanceof holds)
    splitting: true,
    chunkNames: '_workspaces/[name]-[hash]',
    plugins: [inlineWorkspaces(src)],
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'silent',
  });
  for (const f of files.filter((f) => !f.endsWith('.ts'))) {
    const to = join(tmp, relative(src, f));
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(f, to);
  }
  try {
    renameSync(tmp, out);
  } catch (e) {
    // Another run made the same build first.
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(join(out, 'cli', 'main.js'))) throw e;
  }
  removeStale(dirname(out), basename(out));
}

/**
 * Each source file stays its own module (its relative imports and npm packages are left to Node), except that the
 * @anomalog/* workspace packages it imports, TypeScript, are compiled into the build (in shared chunks).
 */
function inlineWorkspaces(src) {
  return {
    name: 'inline-workspaces',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point' || args.path.startsWith('@anomalog/')) return undefined;
        const relative = args.path.startsWith('.');
        if (relative && !args.importer.startsWith(src)) return undefined;
        return { path: args.path, external: true };
      });
    },
  };
}

/** Best effort: a build that cannot be removed (another run's, just removed, or not ours to remove) stays. */
function removeStale(builds, current) {
  for (const name of readdirSync(builds)) {
    if (!name.startsWith(PREFIX) || name === current) continue;
    const path = join(builds, name);
    try {
      if (Date.now() - statSync(path).mtimeMs > STALE_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // left for a later run
    }
  }
}
