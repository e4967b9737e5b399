export * from './severity.js';
export * from './detectors.js';
export * from './fields.js';
export * from './scored-line.js';
export * from './random.js';
export * from './calendar.js';
