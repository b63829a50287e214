import { requireDatabaseUrl, shownUrl } from '../database/require-database-url.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatTime } from '../output/format.js';
import { renderTable } from '../output/table.js';
import type { CommandContext, CommandOutcome } from './command.js';
import { type MigrateFlags, migrateConfigFlags } from './migrate-flags.js';
import { openMigrator, withMigrator } from './open-migrator.js';

/** `strata deploy list`: the recorded deploys, oldest first. Reads only. */
export async function deployList(context: CommandContext, flags: MigrateFlags): Promise<CommandOutcome> {
  const config = await context.config(migrateConfigFlags(flags));
  const databaseUrl = requireDatabaseUrl(config);
  const migrator = await openMigrator(config, { connectionString: databaseUrl });
  const deploys = await withMigrator(migrator, (m) => m.listDeploys());
  return {
    exitCode: EXIT_CODES.ok,
    document: { database: shownUrl(databaseUrl), deploys },
    render(output) {
      if (deploys.length === 0) {
        output.line(
          'No deploy recorded yet. Record one with `strata deploy mark <release>` after the code is out.',
        );
        return;
      }
      output.line(
        renderTable(
          [
            { heading: '#', align: 'right' },
            { heading: 'RELEASE' },
            { heading: 'MARKED' },
            { heading: 'BY' },
            { heading: 'AFTER HISTORY #', align: 'right' },
          ],
          deploys.map((deploy) => [
            String(deploy.id),
            deploy.release,
            formatTime(deploy.markedAt),
            deploy.markedBy,
            String(deploy.historyHighWater),
          ]),
          output.colours.bold,
        ),
      );
    },
  };
}
