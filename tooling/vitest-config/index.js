import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { defineConfig, mergeConfig } from 'vitest/config';

/**
 * The Strata vitest preset: tests next to the code, a JSON report that the root
 * `pnpm test` totals across packages, and generous timeouts because every
 * database test talks to a real PostgreSQL server.
 *
 * @param {import('vitest/config').ViteUserConfig} [overrides]
 */
export function defineStrataConfig(overrides = {}) {
  const resultsDir = path.resolve(process.cwd(), '.vitest');
  mkdirSync(resultsDir, { recursive: true });
  const base = defineConfig({
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: 30_000,
      // In CI a failed test runs once more before it fails the run: the suites start, kill,
      // promote and restart real servers on two shared cores, twice (Node 20 and 26). A test
      // that fails both times fails the run; one that needed the retry is listed by vitest.
      retry: process.env.CI === 'true' ? 1 : 0,
      hookTimeout: 60_000,
      reporters: ['default', 'json'],
      outputFile: { json: path.join(resultsDir, 'results.json') },
      // Database tests are I/O-bound; two forks keep a 2-core machine busy without thrashing.
      pool: 'forks',
      maxWorkers: 2,
    },
  });
  return mergeConfig(base, overrides);
}
