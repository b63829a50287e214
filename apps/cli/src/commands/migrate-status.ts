import { shownUrl } from '../database/require-database-url.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatDuration, formatTime, plural, stateLabel } from '../output/format.js';
import type { CommandContext, CommandOutcome } from './command.js';
import { withMigrator } from './with-migrator.js';

/**
 * `strata migrate status`: every migration with its state (applied, pending, blocked and
 * why), checksum, and when and by whom it was applied; and the recorded deploys. Exit 1 when
 * an applied migration's file changed or disappeared.
 */
export async function migrateStatus(context: CommandContext): Promise<CommandOutcome> {
  const {
    config,
    databaseUrl,
    result: report,
  } = await withMigrator(context, { designGates: true }, (migrator) => migrator.status());
  const problems = report.migrations.filter(
    (migration) => migration.checksum === 'changed' || migration.checksum === 'missing-file',
  );
  const counts = { applied: 0, pending: 0, blocked: 0 };
  for (const migration of report.migrations) counts[migration.state] += 1;
  return {
    exitCode: problems.length > 0 ? EXIT_CODES.failed : EXIT_CODES.ok,
    document: {
      directory: config.migrationsDir,
      database: shownUrl(databaseUrl),
      counts,
      migrations: report.migrations,
      deploys: report.deploys,
    },
    render(output) {
      const c = output.colours;
      output.line(`${c.bold('Migrations')} ${config.migrationsDir} ${c.dim(`on ${shownUrl(databaseUrl)}`)}`);
      output.line();
      output.table(
        [
          { heading: 'SEQ', align: 'right' },
          { heading: 'SCOPE' },
          { heading: 'PHASE' },
          { heading: 'STATE' },
          { heading: 'CHECKSUM' },
          { heading: 'APPLIED' },
          { heading: 'TOOK', align: 'right' },
          { heading: 'MIGRATION' },
        ],
        report.migrations.map((migration) => [
          String(migration.seq).padStart(3, '0'),
          migration.scope,
          migration.phase,
          stateLabel(c, migration.state),
          migration.checksum === null
            ? '-'
            : migration.checksum === 'ok'
              ? c.green('ok')
              : c.red(migration.checksum),
          formatTime(migration.appliedAt),
          formatDuration(migration.durationMs),
          migration.fileName ?? migration.name,
        ]),
        'No migrations yet. Create one with `strata migrate new`.',
      );
      const notes = report.migrations.filter((migration) => migration.reason !== null);
      if (notes.length > 0) {
        output.line();
        for (const migration of notes) {
          const what = migration.blockedBy ? c.red(migration.blockedBy) : c.yellow('note');
          output.line(`${migration.fileName ?? migration.name}: ${what}: ${migration.reason}`);
        }
      }
      output.line();
      output.line(
        `${plural(counts.applied, 'applied migration')}, ${counts.pending} pending, ${counts.blocked} blocked. ` +
          (report.deploys.length === 0
            ? 'No deploy recorded yet.'
            : `${plural(report.deploys.length, 'deploy')} recorded, last ${report.deploys.at(-1)?.release} at ${formatTime(report.deploys.at(-1)?.markedAt)}.`),
      );
      if (problems.length > 0) {
        output.line(
          c.red(
            `Checksum problems: ${problems.map((p) => `${p.fileName ?? p.name} (${p.checksum})`).join(', ')}. Restore the original files; change things in a new migration.`,
          ),
        );
      }
    },
  };
}
