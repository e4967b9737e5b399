import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { TrainingThread, type TrainerIn } from './training.js';
import { join } from 'node:path';
import { DATASETS } from '../../test/fixtures/datasets.js';

const LINUX = join(DATASETS, 'loghub_2k/Linux/Linux_2k.log');
const lines = readFileSync(LINUX, 'utf8').split('\n').filter(Boolean).slice(0, 600).join('\u0000');
const job = (name: string): TrainerIn => ({ lines, heldOut: '', opts: { name, detector: 'iforest', seed: 1 } });

describe('TrainingThread', () => {
  const thread = new TrainingThread();
  afterAll(() => thread.close());

  it("gathers a queued job's lines only when the thread is free, so waiting jobs hold none", async () => {
    const events: string[] = [];
    const first = thread.run(job('first')).then(() => events.push('first done'));
    const second = thread.run(async () => {
      events.push('second gathers');
      return job('second');
    });
    const [, { model }] = await Promise.all([first, second]);
    expect(events).toEqual(['first done', 'second gathers']);
    expect(model.name).toBe('second');
  });
});
