export {
  type LintFinding,
  type LintMigrationInput,
  type LintMigrationsFile,
  type LintMigrationsOptions,
  lintMigration,
  lintMigrations,
} from './lint-migration.js';
export {
  findLintRule,
  LINT_RULES,
  type LintRule,
  type LintRuleCategory,
  type LintRuleId,
  type LintSeverity,
} from './lint-rules.js';
export {
  type CatalogColumn,
  type CatalogIndex,
  type CatalogTable,
  DEFAULT_SMALL_TABLE,
  type LintCatalog,
  type ReadLintCatalogOptions,
  readLintCatalog,
  type SmallTableThresholds,
} from './table-catalog.js';
