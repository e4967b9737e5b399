import { createHash } from 'node:crypto';
import { readdir, rm, stat, utimes } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeDurable } from '../durable.js';
import { loadModel, serializeModel, type Model } from '../models/index.js';
import type { LogInput } from './input.js';

/**
 * The models `scan` learnt from its inputs, each kept under a key of what it was learnt from: the bytes of the lines
 * trained on, the training options and the build of the code. Training is deterministic, so a repeated scan of the
 * same input (or of one that starts with the same lines) loads the very model it would learn again: on the bench's
 * 1M-line access log, learning from the first 100,000 lines is about 1.5 s of a 4.6 s scan.
 */
export interface ModelCache {
  dir: string;
  /** The build of the code (bin/compiled.js names each by a fingerprint of the sources). */
  build: string;
}

/** Models kept; the least recently used go first (a model of a 100,000-line access log is ~230 KB). */
export const MAX_CACHED_MODELS = 16;

/**
 * The cache, or undefined when it is off: `ANOMALOG_CACHE_DIR=off`, or code run from its TypeScript sources, which
 * no build fingerprint names (a model learnt by other code must not be taken for this code's).
 */
export function modelCache(env = process.env, moduleUrl = import.meta.url): ModelCache | undefined {
  const build = /\/\.compiled-([0-9a-f]+)\//.exec(moduleUrl)?.[1];
  const setting = env.ANOMALOG_CACHE_DIR;
  if (build === undefined || setting === 'off') return undefined;
  const dir = setting || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'anomalog', 'models');
  return { dir, build };
}

/**
 * The key of the model learnt from the input's first `lines` lines with `options` (read from the start; `onBytes`
 * is told the bytes read so far, about 2 ms a MB).
 */
export async function trainingKey(
  cache: ModelCache,
  input: LogInput,
  lines: number,
  options: Record<string, unknown>,
  onBytes?: (bytes: number) => void,
): Promise<string> {
  const hash = createHash('sha256').update(`${cache.build}\0${JSON.stringify(options)}\0`);
  let left = lines;
  for await (const chunk of input.chunks(onBytes)) {
    let end = chunk.length;
    for (let at = 0; left > 0 && at < chunk.length; left--) {
      const nl = chunk.indexOf(10, at);
      at = end = nl < 0 ? chunk.length : nl + 1;
    }
    hash.update(chunk.subarray(0, end));
    if (left <= 0) break;
  }
  return hash.digest('hex').slice(0, 32);
}

/** The model kept under `key`, or undefined. A file that is no model (torn by a crash of another program) goes. */
export async function cachedModel(cache: ModelCache, key: string): Promise<Model | undefined> {
  const path = join(cache.dir, `${key}.json`);
  if (!(await stat(path).catch(() => undefined))) return undefined;
  try {
    const model = await loadModel(path);
    const now = new Date();
    await utimes(path, now, now).catch(() => undefined);
    return model;
  } catch {
    await rm(path, { force: true }).catch(() => undefined);
    return undefined;
  }
}

/**
 * A temp file older than this was left by a crash (writeDurable's, `.<name>.<random>.tmp`); a younger one may be
 * another scan's write in progress.
 */
const STALE_TEMP_MS = 10 * 60_000;

/**
 * Keeps `model` under `key` (crash-safely), then removes the least recently used beyond MAX_CACHED_MODELS and the
 * temp files of crashed writes.
 */
export async function keepModel(cache: ModelCache, key: string, model: Model): Promise<void> {
  await writeDurable(join(cache.dir, `${key}.json`), serializeModel(model));
  const files = await Promise.all(
    (await readdir(cache.dir)).map(async (name) => ({
      name,
      at: (await stat(join(cache.dir, name)).catch(() => undefined))?.mtimeMs ?? 0,
    })),
  );
  const models = files.filter((f) => /^[0-9a-f]{32}\.json$/.test(f.name)).sort((a, b) => b.at - a.at);
  const stale = files.filter((f) => /^\..*\.tmp$/.test(f.name) && Date.now() - f.at > STALE_TEMP_MS);
  for (const { name } of [...models.slice(MAX_CACHED_MODELS), ...stale])
    await rm(join(cache.dir, name), { force: true });
}
