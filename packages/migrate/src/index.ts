export {
  type BatchUpdateOptions,
  type BatchUpdateProgress,
  type BatchUpdateResult,
  batchUpdate,
} from './batch-update.js';
export {
  type BranchComparison,
  type BranchFinding,
  type BranchFindingKind,
  type BranchMigrationsInput,
  compareBranchMigrations,
  type Renumbering,
  renameMigrationReferences,
  renumberBranchMigrations,
} from './branch-migrations.js';
export {
  createMigrator,
  type DownOptions,
  type DownResult,
  type MigrationStatus,
  type Migrator,
  type PlannedMigration,
  type PlanReport,
  type StatusReport,
  type UpOptions,
  type UpResult,
} from './create-migrator.js';
// The linter and the schema_design.md checks (src/lint, src/design; see LINT.md), and the
// evidence check before contracts (src/evidence; see README).
export * from './design/index.js';
export * from './evidence/index.js';
export * from './lint/index.js';
export {
  BASELINE_FILE_NAME,
  type BaselineEntry,
  type BaselineOptions,
  type BaselineReport,
  baselinedFiles,
  baselineMigrations,
  type MigrationBaseline,
  readMigrationBaseline,
} from './migration-baseline.js';
export {
  BatchUpdateInTransactionError,
  DuplicateMigrationSeqError,
  MigrationChecksumError,
  MigrationDirectoryError,
  MigrationFailedError,
  MigrationFileError,
  MigrationLintError,
  MigrationNameError,
  type MigrationNameRule,
  MigratorLockTimeoutError,
  type ReportedLintFinding,
  RollbackRefusedError,
} from './migration-errors.js';
export {
  importMigrationModule,
  type MigrationFile,
  type MigrationModule,
  readMigrationDirectory,
} from './migration-file.js';
export type { DeployRecord, HistoryRecord, Queryable } from './migration-history.js';
export {
  assertUniqueSeqs,
  MIGRATION_EXTENSIONS,
  type MigrationExtension,
  type MigrationName,
  parseMigrationName,
} from './migration-name.js';
export type { MigrationOverride, OverridableCheck, UpOverrides } from './migration-override.js';
export { MIGRATION_PHASES, type MigrationPhase } from './migration-phase.js';
export {
  type BlockedBy,
  type BlockedMigration,
  type MigrationGuard,
  planMigrations,
} from './migration-plan.js';
export type { AppliedMigration, RolledBackMigration } from './migration-result.js';
export {
  type MigrationLintHook,
  type MigratorConfig,
  type MigratorOptions,
  migratorOptionsSchema,
} from './migrator-config.js';
export type { MigratorEvent } from './migrator-event.js';
export type { NewMigration, NewMigrationOptions } from './new-migration.js';
export { forbiddenStatementReason, nonTransactionalReason } from './non-transactional-statement.js';
export {
  type MigrationSettings,
  type ParsedSqlMigration,
  parseSqlMigration,
  type SectionStatement,
  type SqlSection,
} from './sql-migration-file.js';
export {
  loadSqlParser,
  parseSql,
  type SplitOptions,
  type SqlNode,
  type SqlStatement,
  SqlSyntaxError,
  type SqlToken,
  scanSql,
  splitSqlStatements,
} from './sql-parser.js';
