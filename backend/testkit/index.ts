export {
  startFakeLoki,
  type FakeEntry,
  type FakeLoki,
  type FakeStream,
  type PushBody,
  type RecordedRequest,
} from './fake-loki.js';
export {
  testContext,
  trafficLines,
  trainWebModel,
  watchedWebContext,
  webLines,
  type TestContext,
  type WatchedWebContext,
} from './app.js';
export { gaussianMatrix, rowOf, spearman } from './matrices.js';
export {
  GrafanaParseError,
  parseLokiResponse,
  timeFromFloat,
  type LogRow,
  type ParsedResponse,
  type SampleFrame,
} from './grafana-parser.js';
export { median, responsiveness, type Responsiveness } from './responsiveness.js';
export { until } from './until.js';
export { queryRange, type LokiStream } from './loki-query.js';
