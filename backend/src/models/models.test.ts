import { mkdtemp, readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hdfsSessions, normalAccessLog } from '../../test/fixtures/logs.js';
import { createScorer, train } from '../pipeline/index.js';
import { loadModel, ModelError, saveModel, serializeModel } from './index.js';

describe('model files', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'anomalog-models-'));
  const lines = normalAccessLog(1500);

  it('round-trips: a loaded model scores exactly like the trained one', async () => {
    const model = await train(lines, { detector: 'iforest', seed: 11, name: 'web', source: 'fixture' });
    const path = join(dir, 'nested', 'web.json');
    await saveModel(path, model);
    const loaded = await loadModel(path);
    expect(loaded.schema).toBe('anomalog-model/1');
    expect(loaded.trainedOn).toEqual({ source: 'fixture', lines: 1500, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const probe = lines.slice(0, 200);
    expect(createScorer(loaded).pushBatch(probe)).toEqual(createScorer(model).pushBatch(probe));
  });

  it('is byte-identical for the same seed and input, except createdAt', async () => {
    const opts = { detector: 'iforest' as const, seed: 4, sessionKey: 'blk_-?\\d+' };
    const text = async () => serializeModel({ ...(await train(hdfsSessions(80), opts)), createdAt: '-' });
    const [a, b] = [await text(), await text()];
    expect(a).toBe(b);
    const other = serializeModel({ ...(await train(hdfsSessions(80), { ...opts, seed: 5 })), createdAt: '-' });
    expect(other).not.toBe(a);
  });

  it('is byte-identical with the autoencoder too (ensemble, sessions included)', async () => {
    const opts = { seed: 8, sessionKey: 'blk_-?\\d+', autoencoderEpochs: 3 };
    const text = async () => serializeModel({ ...(await train(hdfsSessions(60), opts)), createdAt: '-' });
    const a = await text();
    expect(JSON.parse(a).members.autoencoder).toBeDefined();
    expect(await text()).toBe(a);
  });

  it("keeps the order of numeric dates its training lines told, and its scorer reads every line's date in it", async () => {
    // Every 10 minutes from 1 December 2026, 22:00, dd/MM/yyyy: ambiguous up to the 12th, midnight tells the order.
    const at = (i: number) => new Date(Date.UTC(2026, 11, 1, 22) + i * 600_000);
    const two = (n: number) => String(n).padStart(2, '0');
    const line = (i: number) => {
      const d = at(i);
      const date = `${two(d.getUTCDate())}/${two(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`;
      return `${date} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:00 INFO worker ${i % 4} finished job ${i}`;
    };
    const lines = Array.from({ length: 1000 }, (_, i) => line(i));
    const model = await train(lines, { detector: 'iforest', seed: 2 });
    expect(model.parserState.dateOrder).toBe('dmy');
    const path = join(dir, 'dates.json');
    await saveModel(path, model);
    const scorer = createScorer(await loadModel(path));
    const scored = [...scorer.pushBatch([line(0), line(700)]), ...scorer.end()];
    expect(scored.map((l) => l.ts)).toEqual([at(0).getTime(), at(700).getTime()]);
    expect(at(700).getUTCDate()).toBe(6);
  });

  it('refuses missing, non-JSON, corrupt and foreign files with one clear line', async () => {
    const write = async (name: string, text: string) => {
      const p = join(dir, name);
      await writeFile(p, text);
      return p;
    };
    const cases: [string, RegExp][] = [
      [join(dir, 'absent.json'), /cannot read model .*absent\.json: no such file$/],
      [await write('junk.json', '\u0000\u0001garbage'), /junk\.json is not a model file: not valid JSON$/],
      [await write('array.json', '[1,2]'), /array\.json is not a model file: expected a JSON object$/],
      [await write('foreign.json', '{"schema":"other-tool/3","weights":[]}'), /foreign\.json is not a usable model: schema "other-tool\/3", expected "anomalog-model\/1"$/],
      [await write('noschema.json', '{"name":"x"}'), /noschema\.json is not a usable model: no schema field/],
      [await write('partial.json', '{"schema":"anomalog-model/1","name":"x"}'), /partial\.json is a corrupt model: missing detector, format/],
      [await write('dates.json', JSON.stringify({ ...JSON.parse(serializeModel(await train(lines.slice(0, 300), { detector: 'iforest' }))), parserState: { templates: {}, dateOrder: 'ymd' } })), /dates\.json is a corrupt model: bad parserState or featureSchema$/],
      [await write('envelope.json', JSON.stringify({ ...JSON.parse(serializeModel(await train(lines.slice(0, 300), { detector: 'iforest' }))), parserState: { templates: {}, envelope: 'podman' } })), /envelope\.json is a corrupt model: bad parserState or featureSchema$/],
    ];
    await mkdir(join(dir, 'adir.json'));
    cases.push([join(dir, 'adir.json'), /adir\.json: is a directory$/]);
    for (const [path, message] of cases) {
      const err = await loadModel(path).catch((e: unknown) => e);
      expect(err, path).toBeInstanceOf(ModelError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('refuses a model whose autoencoder weights do not fit its layers, with one clear line', async () => {
    const model = await train(lines.slice(0, 300), { detector: 'iforest', seed: 1 });
    const shapes = [[2, 4], [4], [4, 2], [2]];
    const autoencoder = { kind: 'autoencoder', cols: 2, hidden: [4], center: [0, 0], scale: [1, 1], typicalError: [1, 1], weightShapes: shapes, weightData: 'AAAAAA==' };
    const path = join(dir, 'bad-weights.json');
    await writeFile(path, JSON.stringify({ ...model, members: { ...model.members, autoencoder } }));
    await expect(loadModel(path)).rejects.toThrow(/bad-weights\.json is a corrupt model: Autoencoder\.fromJSON: weight data does not match the layer shapes$/);
  });

  it('refuses a model whose session key or custom pattern cannot run in linear time, with one clear line', async () => {
    const model = await train(hdfsSessions(40), { detector: 'iforest', seed: 1, sessionKey: 'blk_-?\\d+' });
    const key = join(dir, 'lookbehind-key.json');
    await writeFile(key, JSON.stringify({ ...model, sessions: { ...model.sessions, key: '(?<=blk_)-?\\d+' } }));
    await expect(loadModel(key)).rejects.toThrow(/lookbehind-key\.json is a corrupt model: backreferences .* cannot run in linear time; leave them out$/);
    const pattern = join(dir, 'backreference-pattern.json');
    await writeFile(pattern, JSON.stringify({ ...model, parserState: { ...model.parserState, pattern: '(?<m>(a)\\2)' } }));
    await expect(loadModel(pattern)).rejects.toThrow(/backreference-pattern\.json is a corrupt model: backreferences/);
  });

  it('is JSON a person can inspect: schema, features and thresholds up front', async () => {
    const model = await train(lines, { detector: 'iforest', seed: 1, name: 'web' });
    const path = join(dir, 'inspect.json');
    await saveModel(path, model);
    const json = JSON.parse(await readFile(path, 'utf8'));
    expect(Object.keys(json).slice(0, 6)).toEqual(['schema', 'name', 'detector', 'createdAt', 'trainedOn', 'format']);
    expect(json.featureSchema.names).toContain('bytes_z');
    expect(json.thresholds.iforest).toEqual({ low: 0.45, medium: 0.65, high: 0.85, critical: 0.95 });
  });
});
