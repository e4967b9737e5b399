import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['contract', 'cli-kit', 'backend', 'generator', 'plugin', 'tools'],
  },
});
