export { normalizeLevel, type Level } from './level.js';
export * from './detect.js';
