export * from './source-set.js';
