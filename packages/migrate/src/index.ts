export {
  DuplicateMigrationSeqError,
  MigrationNameError,
  type MigrationNameRule,
} from './migration-errors.js';
export {
  assertUniqueSeqs,
  MIGRATION_EXTENSIONS,
  MIGRATION_PHASES,
  type MigrationExtension,
  type MigrationName,
  type MigrationPhase,
  parseMigrationName,
} from './migration-name.js';
export { forbiddenStatementReason, nonTransactionalReason } from './non-transactional-statement.js';
export {
  loadSqlParser,
  parseSql,
  type SqlNode,
  type SqlStatement,
  SqlSyntaxError,
  type SqlToken,
  scanSql,
  splitSqlStatements,
} from './sql-parser.js';
