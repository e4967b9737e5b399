export * from './create.js';
