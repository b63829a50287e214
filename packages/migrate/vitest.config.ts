import { defineStrataConfig } from '@strata/vitest-config';

export default defineStrataConfig({
  test: { globalSetup: ['./src/test-support/global-setup.ts'] },
});
