import { defineConfig } from 'vitest/config';

export default defineConfig({
  esbuild: { jsx: 'automatic' },
  test: {
    name: 'plugin',
    include: ['src/**/*.test.{ts,tsx}', 'tests/**/*.test.ts'],
    pool: 'forks',
    // @grafana/data's ESM build imports CommonJS packages by named export; let Vite transform it
    server: { deps: { inline: [/@grafana\//] } },
    globalSetup: ['tests/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
