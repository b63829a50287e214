import type { MigratorEvent } from '@strata/migrate';
import { shownUrl } from '../database/require-database-url.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatDuration, plural } from '../output/format.js';
import type { CommandContext, CommandOutcome } from './command.js';
import type { MigrateDownFlags } from './migrate-down-options.js';
import { withMigrator } from './with-migrator.js';

/**
 * `strata migrate down [--to <seq|name>]`: rolls back the last applied migration, or every
 * one after `--to`, by phase: expand and validate run their down, a backfill is only removed
 * from the history (the next up re-runs it), a contract is refused (exit 3: restore from
 * backup). Nothing runs when any target would be refused.
 */
export async function migrateDown(context: CommandContext, flags: MigrateDownFlags): Promise<CommandOutcome> {
  const output = context.output;
  const onEvent = (event: MigratorEvent): void => {
    if (output.json || event.type !== 'rollback-done') return;
    const c = output.colours;
    output.line(
      `${event.action === 'noop' ? c.yellow('un-recorded') : c.green('rolled back')} ${event.name} ${c.dim(formatDuration(event.durationMs))}`,
    );
  };
  const { config, databaseUrl, result } = await withMigrator(context, { onEvent }, (migrator) =>
    migrator.down(flags.to === undefined ? {} : { to: flags.to }),
  );
  return {
    exitCode: EXIT_CODES.ok,
    document: {
      directory: config.migrationsDir,
      database: shownUrl(databaseUrl),
      rolledBack: result.rolledBack,
    },
    render(output) {
      output.line(
        result.rolledBack.length === 0
          ? 'Nothing to roll back.'
          : output.colours.bold(`Rolled back ${plural(result.rolledBack.length, 'migration')}.`),
      );
      for (const entry of result.rolledBack) {
        if (entry.note) output.line(output.colours.dim(`${entry.name}: ${entry.note}`));
      }
    },
  };
}
