export { type CapturedQuery, captureQueries } from './capture-queries.js';
export { type ExpectQueriesOptions, expectQueries, QueryCountError } from './expect-queries.js';
export {
  type FindMissingIndexesOptions,
  findMissingIndexes,
  type MissingIndex,
  MissingIndexError,
  type Queryable,
} from './missing-indexes.js';
export {
  assertNoNPlusOne,
  findRepeatedQueries,
  NPlusOneQueryError,
  type RepeatedQuery,
  type RepeatedQueryOptions,
} from './repeated-queries.js';
export { type CreateTemplateDatabaseOptions, createTemplateDatabase } from './template-database.js';
export { type CreateTestDatabaseOptions, createTestDatabase, type TestDatabase } from './test-database.js';
