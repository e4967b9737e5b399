import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Matrix } from '../types.js';
import { Autoencoder, type Progress } from './autoencoder.js';
import { AutoencoderThread, fitAutoencoder } from './autoencoder-train.js';
import { tfjsErrors } from '../../testkit/autoencoder-reference.js';
import { mulberry32 } from './random.js';

/** Points on a circle embedded in 6-D (with a little noise): a 1-D manifold the autoencoder must learn. */
function circle(rows: number, seed: number): Matrix {
  const rand = mulberry32(seed);
  const data = new Float64Array(rows * 6);
  for (let i = 0; i < rows; i++) {
    const a = 2 * Math.PI * rand();
    const [c, s] = [Math.cos(a), Math.sin(a)];
    data.set(
      [c, s, c + s, c - s, 2 * c, -s].map((v) => v + 0.02 * (rand() - 0.5)),
      i * 6,
    );
  }
  return { data, rows, cols: 6 };
}

const offManifold: Matrix = {
  // radius 0.3 instead of 1, a point whose coordinates disagree, and one far outside
  data: Float64Array.from([0.3, 0, 0.3, 0.3, 0.6, 0, 1, 0, 1, 1, -2, 0, 0, 0, 0, 0, 0, 5]),
  rows: 3,
  cols: 6,
};

describe('Autoencoder', () => {
  it('learns a manifold, flags points off it and explains which feature is off', async () => {
    const progress: Progress[] = [];
    const ae = await fitAutoencoder(circle(600, 1), { seed: 1, epochs: 30, onProgress: (p) => progress.push(p) });
    expect(progress.length).toBeGreaterThan(5);
    expect(progress.some((p) => p.phase === 'refit')).toBe(true);
    const normal = ae.scoreMatrix(circle(500, 2));
    const worstNormal = Math.max(...normal);
    const off = ae.scoreMatrix(offManifold);
    for (const e of off) expect(e).toBeGreaterThan(worstNormal);
    const perFeature = ae.featureErrors(offManifold.data.subarray(12, 18));
    expect(Array.from(perFeature).indexOf(Math.max(...perFeature))).toBe(5);
    expect(perFeature[5]).toBeGreaterThan(5);
  }, 180_000);

  it('saves and loads with identical scores, and is deterministic for a seed', async () => {
    const X = circle(200, 3);
    const ae = await fitAutoencoder(X, { seed: 7, epochs: 5 });
    const saved = JSON.stringify(ae);
    const loaded = Autoencoder.fromJSON(JSON.parse(saved));
    expect(loaded.scoreMatrix(X)).toEqual(ae.scoreMatrix(X));
    expect(loaded.featureErrors(X.data.subarray(0, 6))).toEqual(ae.featureErrors(X.data.subarray(0, 6)));
    const again = await fitAutoencoder(X, { seed: 7, epochs: 5 });
    expect(JSON.stringify(again)).toBe(saved);
    const other = await fitAutoencoder(X, { seed: 8, epochs: 5 });
    expect(JSON.stringify(other)).not.toBe(saved);
  }, 120_000);

  it('fits on its own thread exactly as in this one, with progress, fails there as here, and here once it is gone', async () => {
    const X = circle(300, 4);
    const thread = new AutoencoderThread();
    try {
      const progress: Progress[] = [];
      const [here, there] = [
        await fitAutoencoder(X, { seed: 5, epochs: 4 }),
        await thread.fit(X, { seed: 5, epochs: 4, onProgress: (p) => progress.push(p) }),
      ];
      expect(JSON.stringify(there)).toBe(JSON.stringify(here));
      expect(progress.map((p) => `${p.phase} ${p.epoch}`).slice(0, 2)).toEqual(['train 1', 'train 2']);
      const bad = { ...X, data: X.data.map((v, i) => (i === 7 ? NaN : v)) };
      await expect(thread.fit(bad, { seed: 5, epochs: 4 })).rejects.toThrow(
        'fitAutoencoder: training row 1 has a non-finite value in feature 1',
      );
      // the thread still fits after a failed fit
      expect(JSON.stringify(await thread.fit(X, { seed: 5, epochs: 4 }))).toBe(JSON.stringify(here));
      // a fit whose thread ends on the way finishes on this one: the same model
      const cut = thread.fit(X, { seed: 5, epochs: 4, onProgress: () => thread.close() });
      expect(JSON.stringify(await cut)).toBe(JSON.stringify(here));
      expect(JSON.stringify(await thread.fit(X, { seed: 5, epochs: 4 }))).toBe(JSON.stringify(here));
    } finally {
      thread.close();
    }
  }, 120_000);

  it('scores as the TensorFlow.js layers it was fitted with do, to float32 precision', async () => {
    const ae = await fitAutoencoder(circle(600, 1), { seed: 3, epochs: 10 });
    const X = { data: Float64Array.from([...circle(300, 9).data, ...offManifold.data]), rows: 303, cols: 6 };
    const ours = ae.scoreMatrix(X);
    const reference = await tfjsErrors(ae.toJSON(), X);
    // 1e-5 relative, plus the float32 rounding of the standardised values (~1e-7), which moves a small error by
    // about 2 sqrt(error) 1e-7
    ours.forEach((e, i) =>
      expect(Math.abs(e - reference[i])).toBeLessThanOrEqual(1e-5 * reference[i] + 1e-6 * Math.sqrt(reference[i])),
    );
  }, 120_000);

  it('rejects a foreign or corrupt state and rows of the wrong width', async () => {
    expect(() => Autoencoder.fromJSON({ kind: 'iforest' } as never)).toThrow(/not an autoencoder/);
    const ae = await fitAutoencoder(circle(100, 4), { seed: 1, epochs: 1 });
    expect(() => ae.featureErrors([1, 2])).toThrow(/expected 6 features, got 2/);
    const state = ae.toJSON();
    expect(() => Autoencoder.fromJSON({ ...state, weightData: state.weightData.slice(0, 400) })).toThrow(
      /weight data does not match/,
    );
    expect(() => Autoencoder.fromJSON({ ...state, hidden: [4, 3] })).toThrow(/weight shapes do not match/);
    const broken = { data: Float64Array.from([1, 2, 3, Number.NaN]), rows: 2, cols: 2 };
    await expect(fitAutoencoder(broken, { seed: 1 })).rejects.toThrow(/row 1 has a non-finite value in feature 1/);
  });

  it('falls back to the cpu backend, saying so once, when wasm cannot load', () => {
    const script = fileURLToPath(new URL('../../testkit/backend-probe.ts', import.meta.url));
    const run = spawnSync(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, ANOMALOG_TF_WASM_PATH: '/nonexistent/wasm/' },
      encoding: 'utf8',
      timeout: 110_000,
    });
    expect(run.status).toBe(0);
    const result = JSON.parse(run.stdout.trim().split('\n').pop()!);
    expect(result.backend).toBe('cpu');
    expect(result.separates).toBe(true);
    expect(run.stderr.match(/wasm backend unavailable/g)).toHaveLength(1);
  }, 120_000);
});
