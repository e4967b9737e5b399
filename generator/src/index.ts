export { startWebApp, type WebApp, type WebAppOptions } from './web/server.js';
export { createShopApp, DEMO_PASSWORD, type ShopOptions } from './web/app.js';
export { startTraffic, type DriverOptions, type TrafficDriver } from './traffic/driver.js';
export {
  generateTraffic,
  writeTraffic,
  type GenerationSummary,
  type OfflineTrafficOptions,
} from './traffic/offline.js';
export { TrafficModel, type LabelledRecord, type TrafficOptions } from './traffic/model.js';
export { SCENARIOS, WINDOW_SCENARIOS, type Label, type Scenario } from './traffic/scenarios.js';
export { formatAccessLine, ClfClock, type AccessFormat, type AccessRecord } from './format/access-line.js';
export { augmentHdfs, HDFS_SAMPLE, type AugmentOptions } from './hdfs/augment.js';
export { simulateHdfs, type SimulateOptions } from './hdfs/simulate.js';
export { INJECTED_ANOMALIES, type InjectedAnomaly } from './hdfs/events.js';
export type { HdfsSummary } from './hdfs/dataset.js';
export {
  combineSinks,
  createSink,
  fileSink,
  lokiSink,
  parseSinkSpec,
  stdoutSink,
  type LogSink,
  type LogStream,
  type SinkSpec,
  type SinkStats,
} from './sinks/index.js';
