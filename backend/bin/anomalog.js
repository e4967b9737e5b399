#!/usr/bin/env node
import { compiledEntry } from './compiled.js';

const entry = await compiledEntry();
if (entry) {
  await import(entry);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
