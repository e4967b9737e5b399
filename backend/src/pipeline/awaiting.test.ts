import { describe, expect, it } from 'vitest';
import { normalAccessLog, plantedAccessLine } from '../../test/fixtures/logs.js';
import type { LateMember, Model } from '../models/index.js';
import { addMember, createScorer, train, trainBatches, trainStaged } from './index.js';

/** The model as it is before its autoencoder is fitted, and that member. */
function withoutAutoencoder(model: Model): { early: Model; late: LateMember } {
  const { autoencoder, ...members } = model.members;
  const { autoencoder: calibration, ...calibrations } = model.calibration;
  return {
    early: { ...model, members, calibration: calibrations },
    late: { member: 'autoencoder', state: autoencoder!, calibration: calibration! },
  };
}

describe('scoring before the autoencoder is fitted (ScorerOptions.awaiting)', async () => {
  const model = await train(normalAccessLog(3000, 3), { seed: 5, name: 'web' });
  const lines = normalAccessLog(3400, 8).slice(3000);
  lines[10] = plantedAccessLine(3010, { target: '/search?q=1%27%20UNION%20SELECT%20password%20FROM%20users--' });
  lines[20] = plantedAccessLine(3020, { target: '/api/orders', bytes: 90_000_000 });
  lines[30] = 'garbage that is not an access line';

  for (const detector of ['ensemble', 'autoencoder'] as const) {
    it(`holds the lines, then gives exactly what a scorer of the whole model gives (${detector})`, () => {
      const reference = createScorer(model, { detector });
      const whole = reference.pushBatch(lines);
      expect(whole.filter((l) => l.anomaly).length).toBeGreaterThan(1);
      const { early, late } = withoutAutoencoder(model);
      const scorer = createScorer(early, { detector, awaiting: ['autoencoder'] });
      expect(scorer.pushBatch(lines.slice(0, 250))).toEqual([]);
      expect(scorer.pushBatch(lines.slice(250))).toEqual([]);
      expect(scorer.complete(late)).toEqual(whole);
      // Then it scores as any scorer does, its clients' windows carried on.
      const next = normalAccessLog(3500, 8).slice(3400);
      expect(scorer.pushBatch(next)).toEqual(reference.pushBatch(next));
    });
  }

  it('refuses a model whose lines cannot wait (sessions or bursts)', async () => {
    const system = { ...model, rarity: { templates: {} } } as unknown as Model;
    expect(() => createScorer(system, { awaiting: ['autoencoder'] })).toThrow(/cannot score before/);
  });
});

describe('trainStaged', () => {
  it('returns before the autoencoder is fitted on its thread; with it, the model trainBatches gives', async () => {
    // Over 8,192 sample lines, the autoencoder fits on a thread of its own.
    const lines = normalAccessLog(9000, 6);
    const batches = () => [lines.slice(0, 4500), lines.slice(4500)];
    const opts = { seed: 3, autoencoderThread: true };
    const staged = await trainStaged(batches(), opts);
    expect(staged.model.members.autoencoder).toBeUndefined();
    expect(staged.model.members.iforest).toBeDefined();
    addMember(staged.model, await staged.autoencoder!);
    const whole = await trainBatches(batches(), opts);
    expect({ ...staged.model, createdAt: '' }).toEqual({ ...whole, createdAt: '' });
  }, 60_000);
});
