import type { ViteUserConfig } from 'vitest/config';

/** Test settings of the Node workspaces (backend, generator): tests next to the code, real servers and files. */
export const nodeWorkspaceTests: ViteUserConfig['test'] = {
  include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'testkit/**/*.test.ts'],
  pool: 'forks',
  testTimeout: 60_000,
  hookTimeout: 60_000,
};
