export { trimmedSessions } from './train.js';
export {
  train,
  trainBatches,
  trainStaged,
  featureStats,
  CALIBRATION,
  type StagedModel,
  type TrainOptions,
  type TrainProgress,
} from './train.js';
export {
  canAwait,
  createScorer,
  countsBursts,
  modelParser,
  type BatchScorer,
  type BlockScorer,
  type Scorer,
  type ScorerOptions,
} from './scorer.js';
export { addMember } from './runtime.js';
export { PipelineInputError } from './errors.js';
export * from './summary.js';
