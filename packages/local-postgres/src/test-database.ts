// The `@strata/local-postgres/test-database` entry: a database of its own per test file on the
// test run's server. Test support only, kept out of the main entry so production imports never
// load it (and its `pg` peer dependency).
export { withAdminConnection } from './admin-connection.js';
export {
  type CreateTestDatabaseOptions,
  createTestDatabase,
  type TestDatabase,
} from './create-test-database.js';
export { databaseUrl } from './database-url.js';
export { dropDatabase } from './drop-database.js';
export { startTestCluster, type TestCluster } from './test-cluster.js';
export { startTestPgBouncer } from './test-pgbouncer.js';
export { NoTestServerError, testServerUrl } from './test-server-url.js';
