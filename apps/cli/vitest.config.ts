import { defineStrataConfig } from '@strata/vitest-config';

export default defineStrataConfig({
  test: { globalSetup: ['@strata/local-postgres/vitest-global-setup'] },
});
