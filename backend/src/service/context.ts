import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { SourceSet } from '../sources/index.js';
import { FeedbackStore } from './feedback.js';
import { createMetrics, type Metrics } from '../metrics.js';
import { ModelRegistry } from './registry.js';
import { StreamLearner } from './learning.js';
import { ScoredFiles } from './scored-files.js';

export { ModelRegistry, NoModelError } from './registry.js';
export type { Metrics } from '../metrics.js';

/** Everything a route or the watcher needs; built once per process (or per test). */
export interface AppContext {
  config: Config;
  models: ModelRegistry;
  sources: SourceSet;
  metrics: Metrics;
  log: Logger;
  /** Per-stream learning: models for the streams no loaded model covers. */
  learner: StreamLearner;
  /** The file lines the watcher scored, for the query index to take (one scoring of each line). */
  scoredFiles: ScoredFiles;
}

/** The service's pino logger: JSON lines on stdout, or on `destination` (the CLI's one-liners for a terminal). */
export function createLogger(config: Config, destination?: DestinationStream): Logger {
  const options = {
    level: config.log.level,
    redact: { paths: ['req.headers.authorization', 'headers.authorization', '*.token', 'token'], censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Opens the feedback store and loads every model under `config.models.dir`. */
export async function createContext(
  config: Config,
  parts: { sources: SourceSet; log?: Logger; metrics?: Metrics },
): Promise<AppContext> {
  const log = parts.log ?? createLogger(config);
  const metrics = parts.metrics ?? createMetrics();
  const feedback = await FeedbackStore.open(config.feedback.file);
  const models = new ModelRegistry(config, { metrics, log, feedback });
  await models.loadAll();
  const learner = new StreamLearner({ config, models, sources: parts.sources, log });
  return { config, models, sources: parts.sources, metrics, log, learner, scoredFiles: new ScoredFiles() };
}
