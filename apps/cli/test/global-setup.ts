// Test support: the shared test server, with pg_stat_statements preloaded for the evidence
// check of `migrate evidence` and `migrate up --post-deploy`.
import { postgresGlobalSetup } from '@strata/local-postgres/vitest-global-setup';

export default postgresGlobalSetup({ settings: { shared_preload_libraries: 'pg_stat_statements' } });
