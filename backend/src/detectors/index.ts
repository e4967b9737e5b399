export {
  IsolationForest,
  averagePathLength,
  type IsolationForestOptions,
  type IsolationForestState,
} from './isolation-forest.js';
export { fitAutoencoder, tfBackend } from './autoencoder-train.js';
export { Autoencoder, type AutoencoderOptions, type AutoencoderState, type Progress } from './autoencoder.js';
export {
  DEFAULT_THRESHOLDS,
  fitCalibration,
  calibrate,
  severityOf,
  type Thresholds,
  type Calibration,
  type CalibrationOptions,
} from './calibration.js';
export {
  Novelty,
  NOVELTY_STRENGTH,
  countVectorKey,
  type NoveltyObservation,
  type NoveltyOptions,
  type NoveltyState,
  type NoveltyTrainingData,
} from './novelty.js';
export * as ensemble from './ensemble.js';
export type { Signal, SignalKind, MemberScore, EnsembleInput, EnsembleResult } from './ensemble.js';
