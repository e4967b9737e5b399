import { describe, expect, it } from 'vitest';
import { hdfsSessions } from '../../test/fixtures/logs.js';
import type { ScoredLine } from '../types.js';
import { createScorer, train, trimmedSessions } from './index.js';

function scoreAll(lines: string[], model: Awaited<ReturnType<typeof train>>): ScoredLine[] {
  const scorer = createScorer(model);
  return [...scorer.pushBatch(lines), ...scorer.end()];
}

describe('learning from a file that holds its own anomalies', () => {
  it('leaves the rarest sessions out of a trimmed refit, and never routine ones', () => {
    const normal = [1, 2, 3, 4];
    const sessions = [...Array.from({ length: 300 }, () => normal), ...Array.from({ length: 9 }, () => [1, 2])];
    const kept = trimmedSessions(sessions, 0.05);
    expect(kept).toHaveLength(300);
    expect(kept.every((s) => s.length === 4)).toBe(true);
    // A clean set loses nothing: no session is rare enough.
    expect(
      trimmedSessions(
        Array.from({ length: 300 }, (_, i) => (i % 3 ? normal : [1, 2, 3, 4, 4])),
        0.05,
      ),
    ).toHaveLength(300);
  });

  it('self-trained with --session-key, flags the 3% of sessions that miss a step although training saw them', async () => {
    const broken = new Map(Array.from({ length: 12 }, (_, i) => [i * 33 + 5, 4] as [number, number]));
    const lines = hdfsSessions(400, { skipStep: broken });
    const model = await train(lines, { sessionKey: 'blk_-?\\d+', seed: 2 });
    const scored = scoreAll(lines, model);
    const flagged = new Set(scored.filter((s) => s.anomaly).map((s) => s.session));
    const expected = new Set([...broken.keys()].map((k) => `blk_${1000 + k}`));
    expect([...expected].filter((b) => flagged.has(b))).toHaveLength(12);
    expect([...flagged].filter((b) => !expected.has(b!)).length).toBeLessThanOrEqual(2);
  });
});
