import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['contract', 'cli-kit', 'backend', 'generator', 'plugin', 'tools'],
    // Memory tests collect garbage before they measure (global.gc). Pool options are the root config's only.
    poolOptions: { forks: { execArgv: ['--expose-gc'] } },
  },
});
