export { normalizeLevel, type Level } from './level.js';
export * from './detect.js';
export { dateOrderOf, type DateOrder } from './timestamp.js';
export type { Envelope } from './envelope.js';
