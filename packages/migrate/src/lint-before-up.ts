import { lintMigrations } from './lint/index.js';
import { baselinedFiles } from './migration-baseline.js';
import { MigrationLintError } from './migration-errors.js';
import type { MigrationLintHook } from './migrator-config.js';
import type { MigratorEvent } from './migrator-event.js';

/**
 * The lint that `up` runs by default: every SQL migration is linted in seq order (applied
 * ones too, so knowledge such as a validated NOT NULL check carries over), against the
 * tables that exist in the database (and its catalog, when the migrator reads it). Errors in pending migrations stop the run with
 * `MigrationLintError`; warnings are reported as `lint-warning` events. Findings in applied
 * migrations are ignored: those files can no longer change; so are those in the files the
 * directory's `.strata-baseline` adopts (they predate the linter).
 */
export function lintBeforeUp(emit: (event: MigratorEvent) => void): MigrationLintHook {
  return async ({ directory, files, pending, existingTables, catalog }) => {
    const adopted = await baselinedFiles(directory);
    const findings = await lintMigrations(
      files.map((file) => ({
        file: file.fileName,
        sql: file.text ?? '',
        baselined: adopted.has(file.fileName),
      })),
      { existingTables, catalog },
    );
    const pendingFiles = new Set(pending.map((file) => file.fileName));
    const relevant = findings.filter((finding) => pendingFiles.has(finding.file));
    for (const warning of relevant.filter((finding) => finding.severity !== 'error')) {
      emit({
        type: 'lint-warning',
        file: warning.file,
        line: warning.line,
        ruleId: warning.ruleId,
        message: warning.message,
        severity: warning.severity === 'note' ? 'note' : 'warning',
      });
    }
    const errors = relevant.filter((finding) => finding.severity === 'error');
    if (errors.length > 0) throw new MigrationLintError(errors);
  };
}
