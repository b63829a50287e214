import { defineStrataConfig } from '@strata/vitest-config';

const shared = { testTimeout: 30_000, hookTimeout: 60_000 };

export default defineStrataConfig({
  test: {
    projects: [
      {
        test: {
          ...shared,
          name: 'core',
          include: ['src/**/*.test.ts'],
          globalSetup: ['@strata/local-postgres/vitest-global-setup'],
        },
      },
      {
        // The harness tested the way a user runs it: its own global setup and `test` fixture.
        test: {
          ...shared,
          name: 'harness',
          include: ['test/**/*.test.ts'],
          globalSetup: ['./test/global-setup.ts'],
        },
      },
    ],
  },
});
