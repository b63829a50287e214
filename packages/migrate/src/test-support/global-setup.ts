// Test support: the shared test server, with pg_stat_statements preloaded so the evidence
// check (src/evidence) runs on real statistics.
import { postgresGlobalSetup } from '@strata/local-postgres/vitest-global-setup';

export default postgresGlobalSetup({ settings: { shared_preload_libraries: 'pg_stat_statements' } });
