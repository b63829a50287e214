import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['@strata/testing/global-setup'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest/results.json' },
  },
});
