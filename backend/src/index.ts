export * from './types.js';
export { train, trainBatches, createScorer, PipelineInputError } from './pipeline/index.js';
export type { TrainOptions, TrainProgress, Scorer, BatchScorer, ScorerOptions } from './pipeline/index.js';
export { loadModel, saveModel, parseModel, serializeModel, ModelError, MODEL_SCHEMA } from './models/index.js';
export type { Model, Member, FeatureStats, SessionModel } from './models/index.js';
export { explain, describeFeature, ruleSignals } from './explain/index.js';
export { attackHits } from './features/attacks.js';
export { uaClass } from './features/user-agent.js';
export type { FeatureSchema, FeatureKind } from './features/index.js';
