import {
  baselinedFiles,
  type LintCatalog,
  type LintFinding,
  lintMigrations,
  parseMigrationName,
  readLintCatalog,
} from '@strata/migrate';
import type { CliConfig } from '../config/cli-config.js';
import { connect } from '../database/connect.js';
import { shownUrl } from '../database/require-database-url.js';
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
 * `migrate baseline` are not reported while unchanged. Needs no database; with
 * `--database-url` it reads the catalog (see @strata/migrate's README, "Catalog-aware lint"):
 * locks on small tables become notes, binary-compatible type changes pass, foreign keys are
 * checked for an index. Exit 3 when a reported finding is an error; warnings and notes alone
 * exit 0.
 */
export async function migrateLint(context: CommandContext, flags: MigrateLintFlags): Promise<CommandOutcome> {
  const config = await context.config();
  const texts = await readMigrationTexts(config.migrationsDir);
  const adopted = await baselinedFiles(config.migrationsDir);
  const sqlFiles = texts.filter((text) => text.sql !== undefined);
  // Modules are passed too: a .ts backfill tells the linter its scope's columns are filled.
  // Only the flag connects: a DATABASE_URL in the environment leaves lint offline, as before.
  const catalog =
    flags.databaseUrl === undefined
      ? undefined
      : await catalogOf(
          config,
          sqlFiles.map((file) => file.sql ?? ''),
        );
  const all = await lintMigrations(
    texts.map((text) => ({
      file: text.fileName,
      sql: text.sql ?? '',
      baselined: adopted.has(text.fileName),
    })),
    { catalog },
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
  const notes = findings.filter((finding) => finding.severity === 'note').length;
  const warnings = findings.length - errors - notes;
  return checkOutcome({
    blocking: errors > 0,
    document: {
      directory: config.migrationsDir,
      files: sqlFiles.length,
      baselined,
      errors,
      warnings,
      notes,
      catalog:
        catalog === undefined || config.databaseUrl === undefined
          ? null
          : {
              database: shownUrl(config.databaseUrl),
              tables: catalog.tables.length,
              smallTable: catalog.smallTable,
            },
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
    summary: `${plural(errors, 'error')}, ${plural(warnings, 'warning')}${notes > 0 ? `, ${plural(notes, 'note')}` : ''} in ${plural(sqlFiles.length, 'SQL migration')}${
      baselined > 0 ? ` (${baselined} adopted by the baseline, not judged)` : ''
    }.`,
    advice: [
      'Fix them, or waive one in its file with `-- strata:allow <rule-id> <reason>`.',
      'Files written before the project used Strata: adopt them with `strata migrate baseline`.',
    ].join('\n'),
  });
}

// The catalog of the tables the migrations name, read over one short session.
async function catalogOf(config: CliConfig, sql: readonly string[]): Promise<LintCatalog> {
  const client = await connect(config.databaseUrl as string, 'strata-lint');
  try {
    return await readLintCatalog(client, {
      sql,
      smallTableRows: config.lint.smallTableRows,
      smallTableBytes: config.lint.smallTableBytes,
    });
  } finally {
    await client.end();
  }
}
