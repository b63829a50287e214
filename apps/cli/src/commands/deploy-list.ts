import { shownUrl } from '../database/require-database-url.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatTime } from '../output/format.js';
import type { CommandContext, CommandOutcome } from './command.js';
import { withMigrator } from './with-migrator.js';

/** `strata deploy list`: the recorded deploys, oldest first. Reads only. */
export async function deployList(context: CommandContext): Promise<CommandOutcome> {
  const { databaseUrl, result: deploys } = await withMigrator(context, {}, (migrator) =>
    migrator.listDeploys(),
  );
  return {
    exitCode: EXIT_CODES.ok,
    document: { database: shownUrl(databaseUrl), deploys },
    render(output) {
      output.table(
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
        'No deploy recorded yet. Record one with `strata deploy mark <release>` after the code is out.',
      );
    },
  };
}
