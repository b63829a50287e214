export { type CapturedQuery, captureQueries } from './capture-queries.js';
export { assertNoConnectionLeak, ConnectionLeakError, withConnectionLeakCheck } from './connection-leak.js';
export { type BuildContext, defineFactory, type Factory, type FactoryDefinition } from './define-factory.js';
export { type ExpectQueriesOptions, expectQueries, QueryCountError } from './expect-queries.js';
export { createGlobalSetup, type GlobalSetupProject } from './global-setup.js';
export {
  type FindMissingIndexesOptions,
  findMissingIndexes,
  type MissingIndex,
  MissingIndexError,
  type Queryable,
} from './missing-indexes.js';
export type { TestingProvidedContext } from './provided-context.js';
export {
  assertNoNPlusOne,
  findRepeatedQueries,
  NPlusOneQueryError,
  type RepeatedQuery,
  type RepeatedQueryOptions,
} from './repeated-queries.js';
export {
  type CreateTemplateDatabaseOptions,
  createTemplateDatabase,
  DatabaseNotOwnedError,
} from './template-database.js';
export { type CreateTestDatabaseOptions, createTestDatabase, type TestDatabase } from './test-database.js';
export { TestSetupError, type TestSetupStep } from './test-setup-error.js';
export { defineTestingConfig, type TestingConfig } from './testing-config.js';
export { type WithRollbackOptions, withRollback } from './with-rollback.js';
export {
  type OpenWorkerDatabaseOptions,
  openWorkerDatabase,
  type WorkerDatabase,
} from './worker-database.js';
