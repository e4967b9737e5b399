import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { normalAccessLog, plantedAccessLine } from '../../test/fixtures/logs.js';
import { train } from '../pipeline/index.js';
import { openInput } from './input.js';
import { cachedModel, keepModel, MAX_CACHED_MODELS, modelCache, trainingKey, type ModelCache } from './model-cache.js';

const BIN = fileURLToPath(new URL('../../bin/anomalog.js', import.meta.url));
const BUILT = pathToFileURL('/x/backend/.compiled-0123456789abcdef/cli/model-cache.js').href;

function anomalog(args: string[], cacheDir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { maxBuffer: 1 << 28, env: { ...process.env, ANOMALOG_CACHE_DIR: cacheDir } },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function keyOf(cache: ModelCache, path: string, lines: number, options = {}): Promise<string> {
  const input = await openInput(path);
  try {
    return await trainingKey(cache, input, lines, options);
  } finally {
    await input.close();
  }
}

describe('modelCache', () => {
  it('is on for a build, in ANOMALOG_CACHE_DIR or the XDG cache; off for sources or when set off', () => {
    expect(modelCache({ ANOMALOG_CACHE_DIR: '/c' }, BUILT)).toEqual({ dir: '/c', build: '0123456789abcdef' });
    expect(modelCache({ XDG_CACHE_HOME: '/x' }, BUILT)?.dir).toBe('/x/anomalog/models');
    expect(modelCache({ ANOMALOG_CACHE_DIR: 'off' }, BUILT)).toBeUndefined();
    expect(modelCache({ ANOMALOG_CACHE_DIR: '/c' }, pathToFileURL('/x/backend/src/cli/model-cache.ts').href)).toBe(
      undefined,
    );
  });
});

describe('trainingKey', () => {
  it('names the lines trained on, the options and the build; not the lines after them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'key-'));
    const lines = normalAccessLog(300, 2);
    const file = async (name: string, content: string[]) => {
      await writeFile(join(dir, name), `${content.join('\n')}\n`);
      return join(dir, name);
    };
    const cache = { dir, build: 'a' };
    const base = await keyOf(cache, await file('a.log', lines), 200);
    const later = [...lines];
    later[250] = 'changed after the lines trained on';
    expect(await keyOf(cache, await file('b.log', later), 200)).toBe(base);
    const within = [...lines];
    within[150] = 'changed in the lines trained on';
    expect(await keyOf(cache, await file('c.log', within), 200)).not.toBe(base);
    expect(await keyOf(cache, join(dir, 'a.log'), 201)).not.toBe(base);
    expect(await keyOf(cache, join(dir, 'a.log'), 200, { seed: 2 })).not.toBe(base);
    expect(await keyOf({ dir, build: 'b' }, join(dir, 'a.log'), 200)).not.toBe(base);
  });
});

describe('keepModel and cachedModel', () => {
  it('keep a model and give it back; a torn file is no model and goes', async () => {
    const cache = { dir: await mkdtemp(join(tmpdir(), 'models-')), build: 'a' };
    const model = await train(normalAccessLog(400, 3), { detector: 'iforest', seed: 1 });
    const key = '0'.repeat(32);
    expect(await cachedModel(cache, key)).toBeUndefined();
    await keepModel(cache, key, model);
    expect(JSON.stringify(await cachedModel(cache, key))).toBe(JSON.stringify(model));
    const path = join(cache.dir, `${key}.json`);
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.slice(0, text.length >> 1));
    expect(await cachedModel(cache, key)).toBeUndefined();
    await expect(stat(path)).rejects.toThrow();
  });

  it(`keeps the ${MAX_CACHED_MODELS} models used last`, async () => {
    const cache = { dir: await mkdtemp(join(tmpdir(), 'models-')), build: 'a' };
    const model = await train(normalAccessLog(200, 4), { detector: 'iforest', seed: 1 });
    const key = (i: number) => i.toString(16).padStart(32, '0');
    for (let i = 0; i < MAX_CACHED_MODELS; i++) {
      await keepModel(cache, key(i), model);
      const at = new Date(Date.UTC(2026, 0, 1, 0, i));
      await utimes(join(cache.dir, `${key(i)}.json`), at, at);
    }
    // The oldest, used again, stays; the next three least recently used make room for three more.
    expect(await cachedModel(cache, key(0))).toBeDefined();
    for (let i = 100; i < 103; i++) await keepModel(cache, key(i), model);
    const kept = await readdir(cache.dir);
    expect(kept).toHaveLength(MAX_CACHED_MODELS);
    expect(kept).toContain(`${key(0)}.json`);
    for (const gone of [1, 2, 3]) expect(kept).not.toContain(`${key(gone)}.json`);
    expect(kept).toContain(`${key(4)}.json`);
    expect(kept).toContain(`${key(102)}.json`);
  });
});

describe('keepModel in a directory other scans write to', () => {
  it("leaves their writes in progress alone, and sweeps a crash's old temp file", async () => {
    const cache = { dir: await mkdtemp(join(tmpdir(), 'models-')), build: 'a' };
    const model = await train(normalAccessLog(200, 5), { detector: 'iforest', seed: 1 });
    const writing = join(cache.dir, '.0.json.0123456789ab.tmp');
    const crashed = join(cache.dir, '.1.json.ba9876543210.tmp');
    await writeFile(writing, '{');
    await writeFile(crashed, '{');
    const old = new Date(Date.now() - 3_600_000);
    await utimes(crashed, old, old);
    const key = 'a'.repeat(32);
    await Promise.all([keepModel(cache, key, model), keepModel(cache, key, model)]);
    expect((await readdir(cache.dir)).sort()).toEqual([writing.split('/').pop(), `${key}.json`].sort());
  });
});

describe('anomalog scan with a kept model', () => {
  it('scores a repeated scan with the model it learnt the first time: the same output, without learning', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'scan-cache-'));
    const cacheDir = join(dir, 'models');
    const lines = normalAccessLog(3000, 5);
    lines[2500] = plantedAccessLine(2500, { target: "/search?q=1' UNION SELECT password FROM users--" });
    const log = join(dir, 'access.log');
    await writeFile(log, `${lines.join('\n')}\n`);
    const first = await anomalog(['scan', log, '--json', '--train-lines', '2000'], cacheDir);
    expect(first.code).toBe(0);
    const kept = await readdir(cacheDir);
    expect(kept).toHaveLength(1);
    const second = await anomalog(['scan', log, '--json', '--train-lines', '2000'], cacheDir);
    expect(second.stdout).toBe(first.stdout);
    expect(JSON.parse(first.stdout.split('\n')[2500]).severity).not.toBe('normal');
    // The second scan read the kept model: a model planted under its key is the one that scores.
    const planted = await train(normalAccessLog(500, 9), { detector: 'iforest', seed: 3 });
    await writeFile(join(cacheDir, kept[0]), JSON.stringify(planted));
    const summary = await anomalog(['scan', log, '--train-lines', '2000'], cacheDir);
    expect(summary.stdout).toContain(
      'iforest detector, trained on its first 500 lines (model kept from an earlier scan)',
    );
    // --no-cache learns again, and keeps nothing.
    const fresh = await anomalog(['scan', log, '--json', '--train-lines', '2000', '--no-cache'], join(dir, 'none'));
    expect(fresh.stdout).toBe(first.stdout);
    await expect(stat(join(dir, 'none'))).rejects.toThrow();
    // Other lines trained on, another model.
    await anomalog(['scan', log, '--json', '--train-lines', '1000'], cacheDir);
    expect(await readdir(cacheDir)).toHaveLength(2);
  });
});
