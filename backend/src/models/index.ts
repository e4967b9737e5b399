export * from './model.js';
export { ModelError } from './errors.js';
export * from './files.js';
