export * from './errors.js';
export * from './args.js';
export * from './progress.js';
export * from './numbers.js';
