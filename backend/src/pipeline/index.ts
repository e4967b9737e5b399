export { trimmedSessions } from './train.js';
export { train, trainBatches, featureStats, CALIBRATION, type TrainOptions, type TrainProgress } from './train.js';
export {
  createScorer,
  countsBursts,
  episodeSightings,
  type EpisodeSightings,
  modelParser,
  type BatchScorer,
  type BlockScorer,
  type Scorer,
  type ScorerOptions,
  type Sighting,
} from './scorer.js';
export { PipelineInputError } from './errors.js';
export * from './summary.js';
