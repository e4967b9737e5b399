/** A row's level fields on the Loki API (detected_level, level) are its scorer's reading of the line: one parse. */
import { beforeAll, expect, it } from 'vitest';
import type { Model } from '../../models/index.js';
import { createScorer } from '../../pipeline/index.js';
import type { ScoredLine } from '../../types.js';
import { trainWebModel, webLines } from '../../../testkit/app.js';
import { LevelReader, scoredRow } from './streams.js';

let model: Model;
beforeAll(async () => {
  model = await trainWebModel();
});

const levelsOf = (line: string, scored: ScoredLine | undefined, levels: LevelReader) => {
  const { fields } = scoredRow({ job: 'web' }, 0n, { item: { line }, ms: 0, scored }, levels);
  return { detected: fields.detected_level, level: fields.level };
};
const JSON_LINES = ['warn', 'error', 'info'].map((level, i) => JSON.stringify({ level, msg: `order ${i} processed` }));

it("takes the level its scorer's parser read, without reading the line again", () => {
  const lines = webLines(300, 4, 0.3);
  const scored = createScorer(model, { labels: { job: 'web' } }).pushBatch(lines);
  const statusLevel = (line: string) => {
    const status = / (\d{3}) /.exec(line)![1];
    return status.startsWith('5') ? 'error' : status.startsWith('4') ? 'warn' : 'info';
  };
  expect(new Set(lines.map(statusLevel))).toEqual(new Set(['info', 'warn', 'error']));
  // A parser of another format than the lines' would read them as `generic` (no level): none is asked.
  const levels = new LevelReader(JSON_LINES);
  for (const [i, line] of lines.entries())
    expect(levelsOf(line, scored[i], levels)).toEqual({ detected: statusLevel(line), level: undefined });
});

it("reads with a parser of the stream's format the lines no scorer read, and those the model's format does not", () => {
  const byWebModel = createScorer(model, { labels: { job: 'app' } }).pushBatch(JSON_LINES);
  expect(byWebModel.map((s) => s.format)).toEqual(['generic', 'generic', 'generic']);
  const levels = new LevelReader(JSON_LINES);
  expect(JSON_LINES.map((line, i) => levelsOf(line, byWebModel[i], levels))).toEqual([
    { detected: 'warn', level: 'warn' },
    { detected: 'error', level: 'error' },
    { detected: 'info', level: 'info' },
  ]);
  // while the stream's own model is being learned, its lines come unscored
  expect(levelsOf(JSON_LINES[1], undefined, levels)).toEqual({ detected: 'error', level: 'error' });
});
