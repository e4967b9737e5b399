import { fileURLToPath } from 'node:url';
import type { ViteUserConfig } from 'vitest/config';

/**
 * Test settings of the Node workspaces (backend, generator, tools, ...): tests next to the code, real servers and files,
 * each test file's temp files in a directory of its own that goes when the file ends (vitest.scratch.ts).
 */
export const nodeWorkspaceTests: ViteUserConfig['test'] = {
  include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'testkit/**/*.test.ts'],
  pool: 'forks',
  setupFiles: [fileURLToPath(new URL('./vitest.scratch.ts', import.meta.url))],
  testTimeout: 60_000,
  hookTimeout: 60_000,
};
