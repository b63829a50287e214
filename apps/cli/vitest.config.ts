import { defineStrataConfig } from '@strata/vitest-config';

export default defineStrataConfig({
  test: { globalSetup: ['./test/global-setup.ts'] },
});
