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
