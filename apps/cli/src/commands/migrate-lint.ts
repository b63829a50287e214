import { baselinedFiles, type LintFinding, lintMigrations, parseMigrationName } from '@strata/migrate';
import { plural, severityLabel } from '../output/format.js';
import { checkOutcome } from './check-outcome.js';
import type { CommandContext, CommandOutcome } from './command.js';
import type { MigrateLintFlags } from './migrate-lint-options.js';
import { readMigrationTexts } from './read-migration-texts.js';

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
  const config = await context.config();
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
  const { since } = flags;
  const findings: LintFinding[] =
    since === undefined
      ? all
      : all.filter((finding) => {
          const seq = seqOf(finding.file);
          return seq === undefined || seq >= since;
        });
  const baselined = sqlFiles.filter((file) => adopted.has(file.fileName)).length;
  const errors = findings.filter((finding) => finding.severity === 'error').length;
  const warnings = findings.length - errors;
  return checkOutcome({
    blocking: errors > 0,
    document: {
      directory: config.migrationsDir,
      files: sqlFiles.length,
      baselined,
      errors,
      warnings,
      findings,
    },
    findings,
    show(finding, c) {
      const at = `${finding.file}:${finding.line}${finding.column === undefined ? '' : `:${finding.column}`}`;
      return [
        `${c.bold(at)}  ${severityLabel(c, finding.severity)}  ${c.cyan(finding.ruleId)}  ${finding.message}`,
        ...(finding.lock ? [c.dim(`    lock: ${finding.lock}`)] : []),
        c.dim(`    fix:  ${finding.safeAlternative}`),
      ];
    },
    summary: `${plural(errors, 'error')}, ${plural(warnings, 'warning')} in ${plural(sqlFiles.length, 'SQL migration')}${
      baselined > 0 ? ` (${baselined} adopted by the baseline, not judged)` : ''
    }.`,
    advice: [
      'Fix them, or waive one in its file with `-- strata:allow <rule-id> <reason>`.',
      'Files written before the project used Strata: adopt them with `strata migrate baseline`.',
    ].join('\n'),
  });
}
