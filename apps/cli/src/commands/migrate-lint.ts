import { baselinedFiles, type LintFinding, lintMigrations, parseMigrationName } from '@strata/migrate';
import { EXIT_CODES } from '../exit-codes.js';
import { plural, severityLabel } from '../output/format.js';
import type { CommandContext, CommandOutcome } from './command.js';
import { type MigrateFlags, migrateConfigFlags } from './migrate-flags.js';
import { readMigrationTexts } from './read-migration-texts.js';

export interface MigrateLintFlags extends MigrateFlags {
  since?: number;
}

const seqOf = (fileName: string): number | undefined => {
  try {
    return parseMigrationName(fileName).seq;
  } catch {
    return undefined;
  }
};

/**
 * `strata migrate lint [--since <seq>]`: lints every SQL migration with PostgreSQL's parser
 * (rules in @strata/migrate's LINT.md), in seq order so knowledge carries over. `--since`
 * reports only files from that seq on (all files are still read); files adopted by
 * `migrate baseline` are not reported while unchanged. Needs no database. Exit 3 when a
 * reported finding is an error; warnings alone exit 0.
 */
export async function migrateLint(context: CommandContext, flags: MigrateLintFlags): Promise<CommandOutcome> {
  const config = await context.config(migrateConfigFlags({ ...flags, databaseUrl: undefined }));
  const texts = await readMigrationTexts(config.migrationsDir);
  const adopted = await baselinedFiles(config.migrationsDir);
  const sqlFiles = texts.filter((text) => text.sql !== undefined);
  // Modules are passed too: a .ts backfill tells the linter its scope's columns are filled.
  const all = await lintMigrations(
    texts.map((text) => ({
      file: text.fileName,
      sql: text.sql ?? '',
      baselined: adopted.has(text.fileName),
    })),
  );
  const findings: LintFinding[] =
    flags.since === undefined
      ? all
      : all.filter((finding) => {
          const seq = seqOf(finding.file);
          return seq === undefined || seq >= (flags.since as number);
        });
  const baselined = sqlFiles.filter((file) => adopted.has(file.fileName)).length;
  const errors = findings.filter((finding) => finding.severity === 'error').length;
  const warnings = findings.length - errors;
  return {
    exitCode: errors > 0 ? EXIT_CODES.blocked : EXIT_CODES.ok,
    document: {
      directory: config.migrationsDir,
      files: sqlFiles.length,
      baselined,
      errors,
      warnings,
      findings,
    },
    render(output) {
      const c = output.colours;
      for (const finding of findings) {
        const at = `${finding.file}:${finding.line}${finding.column === undefined ? '' : `:${finding.column}`}`;
        output.line(
          `${c.bold(at)}  ${severityLabel(c, finding.severity)}  ${c.cyan(finding.ruleId)}  ${finding.message}`,
        );
        if (finding.lock) output.line(c.dim(`    lock: ${finding.lock}`));
        output.line(c.dim(`    fix:  ${finding.safeAlternative}`));
      }
      if (findings.length > 0) output.line();
      const adoptedNote = baselined > 0 ? ` (${baselined} adopted by the baseline, not judged)` : '';
      const summary = `${plural(errors, 'error')}, ${plural(warnings, 'warning')} in ${plural(sqlFiles.length, 'SQL migration')}${adoptedNote}.`;
      output.line(errors > 0 ? c.red(summary) : c.green(summary));
      if (errors > 0) {
        output.line('Fix them, or waive one in its file with `-- strata:allow <rule-id> <reason>`.');
        output.line(
          'Files written before the project used Strata: adopt them with `strata migrate baseline`.',
        );
      }
    },
  };
}
