import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { groupingAccuracy, loghubAccuracy } from './accuracy.js';
import { HDFS_SAMPLE } from '@anomalog/generator';

/** loghub's HDFS ground truth, copied into the backend's test fixtures (their README: sources and licences). */
const DATASETS = fileURLToPath(new URL('../backend/test/fixtures/datasets/', import.meta.url));

describe('groupingAccuracy', () => {
  it('counts a line correct only when its predicted group equals its true group', () => {
    const truth = ['A', 'A', 'B', 'B', 'C'];
    expect(groupingAccuracy([1, 1, 2, 2, 3], truth)).toBe(1);
    // B split in two: its lines are wrong; merging C into A makes both wrong.
    expect(groupingAccuracy([1, 1, 2, 4, 3], truth)).toBe(3 / 5);
    expect(groupingAccuracy([1, 1, 2, 2, 1], truth)).toBe(2 / 5);
    expect(() => groupingAccuracy([1], truth)).toThrow(/1 predictions for 5 lines/);
  });
});

describe('Drain on loghub HDFS_2k', () => {
  it('matches or beats the published Drain grouping accuracy (0.998)', () => {
    const result = loghubAccuracy(HDFS_SAMPLE, `${DATASETS}hdfs_2k/HDFS_2k.log_structured.csv`);
    expect(result.truthTemplates).toBe(14);
    expect(result.accuracy).toBeGreaterThanOrEqual(0.998);
  });

  it('scores against the corrected ground truth too', () => {
    const result = loghubAccuracy(HDFS_SAMPLE, `${DATASETS}hdfs_2k_corrected/HDFS_2k.log_structured_corrected.csv`);
    expect(result.accuracy).toBeGreaterThanOrEqual(0.998);
  });
});
