export * from './watcher.js';
