import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PLUGIN = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO = resolve(PLUGIN, '..');
/** Screenshots and other outputs of a test run (gitignored). */
export const ARTIFACTS = resolve(PLUGIN, 'test-artifacts');
