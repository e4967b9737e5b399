import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { detectionQuality, fitSessionDetectors, scoreSessions } from './evaluation.js';

const DIR = fileURLToPath(new URL('../../shared/datasets/hdfs_logdeep_sequences/', import.meta.url));
const BASE_RATE = 16838 / 575061;
const lines = (file: string) =>
  readFileSync(DIR + file, 'utf8')
    .split('\n')
    .filter((l) => l.trim());
const parse = (s: string) => s.trim().split(/\s+/).map(Number);

describe.skipIf(!existsSync(DIR))('session detectors on a sample of the HDFS protocol', () => {
  it('the ensemble beats the novelty baseline at the true anomaly rate', async () => {
    const train = lines('hdfs_train').slice(0, 1000).map(parse);
    const normals = lines('robust_log_valid.csv')
      .filter((l) => l.endsWith(',0'))
      .slice(0, 500)
      .map((l) => parse(l.slice(0, l.lastIndexOf(','))));
    const anomalies = lines('hdfs_test_abnormal')
      .filter((_, i) => i % 30 === 0)
      .slice(0, 500)
      .map(parse);
    const detectors = await fitSessionDetectors(train, { seed: 1, epochs: 15 });
    const n = scoreSessions(detectors, normals);
    const a = scoreSessions(detectors, anomalies);
    const novelty = detectionQuality(n.novelty, a.novelty, BASE_RATE);
    const ensemble = detectionQuality(n.ensemble, a.ensemble, BASE_RATE);
    expect(ensemble.f1AtBase).toBeGreaterThan(novelty.f1AtBase);
    expect(ensemble.tpr).toBeGreaterThan(0.9);
  }, 180_000);
});

describe('detectionQuality', () => {
  it('reweights precision to the base rate', () => {
    const q = detectionQuality(['normal', 'normal', 'medium', 'normal'], ['high', 'normal', 'critical', 'medium'], 0.5);
    expect(q.tpr).toBe(0.75);
    expect(q.fpr).toBe(0.25);
    expect(q.f1).toBeCloseTo(0.75, 12);
    expect(q.precisionAtBase).toBeCloseTo(0.75, 12);
    const rare = detectionQuality(
      ['normal', 'normal', 'low', 'normal'],
      ['high', 'low', 'critical', 'medium'],
      0.01,
      'medium',
    );
    expect(rare.fpr).toBe(0);
    expect(rare.precisionAtBase).toBe(1);
    const rarer = detectionQuality(['normal', 'normal', 'low', 'normal'], ['high', 'low', 'critical', 'normal'], 0.01);
    expect(rarer.precisionAtBase).toBeCloseTo((0.75 * 0.01) / (0.75 * 0.01 + 0.25 * 0.99), 12);
  });
});
