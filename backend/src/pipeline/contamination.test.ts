import { generateTraffic } from '@anomalog/generator';
import { describe, expect, it } from 'vitest';
import type { ScoredLine } from '../types.js';
import { createScorer, train } from './index.js';

/**
 * `anomalog scan FILE` without a model trains on the file it scores, so its incidents are in the training data.
 * A data-exfiltration or brute-force burst must still stand out against baselines those few percent cannot move.
 */
async function unsupervisedScan(seed: number): Promise<{ of: (label: string) => ScoredLine[] }> {
  const traffic = [...generateTraffic({ lines: 10_000, seed, anomalyRate: 0.02 })];
  const lines = traffic.map((t) => t.line);
  const model = await train(lines, { detector: 'iforest', seed: 1 });
  const scored = createScorer(model, { detector: 'ensemble' }).pushBatch(lines);
  return { of: (label) => scored.filter((_, i) => traffic[i].label === label) };
}

const isMediumOrAbove = (s: ScoredLine) => s.severity !== 'normal' && s.severity !== 'low';

describe('unsupervised scan of traffic with incidents in it', async () => {
  const scans = [await unsupervisedScan(2), await unsupervisedScan(5)];

  it('flags an exfiltration burst as at least medium, with the route baseline as the reason', () => {
    const exfiltration = scans[0].of('exfiltration');
    expect(exfiltration.length).toBeGreaterThanOrEqual(5);
    for (const s of exfiltration) {
      expect(isMediumOrAbove(s), s.reasons.join('; ')).toBe(true);
      expect(s.reasons[0]).toMatch(/^bytes \d+σ above \/api\/\w+ baseline$/);
    }
  });

  it('flags a brute-force burst once the client has failed a few times', () => {
    const bruteForce = scans[1].of('brute_force');
    expect(bruteForce.length).toBeGreaterThan(10);
    const flagged = bruteForce.filter((s) =>
      s.reasons.some((r) => /failed responses in the last minute, this one HTTP 401/.test(r)),
    );
    expect(flagged.length).toBeGreaterThanOrEqual(bruteForce.length * 0.7);
    for (const s of flagged) expect(isMediumOrAbove(s)).toBe(true);
  });

  it('keeps false positives on the normal lines low', () => {
    for (const { of } of scans) {
      const normal = of('normal');
      expect(normal.filter((s) => s.anomaly).length).toBeLessThan(normal.length * 0.005);
      expect(normal.filter(isMediumOrAbove).length).toBeLessThan(normal.length * 0.002);
    }
  });
});
