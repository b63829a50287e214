import { shownUrl } from '../database/require-database-url.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatTime } from '../output/format.js';
import type { CommandContext, CommandOutcome } from './command.js';
import { withMigrator } from './with-migrator.js';

/**
 * `strata deploy mark <release>`: records that `release` of the application is deployed,
 * opening the deploy gate for contracts whose earlier phases were applied before it.
 */
export async function deployMark(context: CommandContext, release: string): Promise<CommandOutcome> {
  const { databaseUrl, result: deploy } = await withMigrator(context, {}, (migrator) =>
    migrator.markDeploy(release),
  );
  return {
    exitCode: EXIT_CODES.ok,
    document: { database: shownUrl(databaseUrl), deploy },
    render(output) {
      output.line(
        `${output.colours.green('recorded')} deploy ${output.colours.bold(deploy.release)} at ${formatTime(deploy.markedAt)} (#${deploy.id}, after history entry ${deploy.historyHighWater}).`,
      );
      const snapshot = deploy.evidenceSnapshot;
      if (snapshot && 'unavailable' in snapshot) {
        output.note(
          output.colours.yellow(
            `No statistics snapshot: ${snapshot.unavailable}. The evidence check cannot tell what ran after this mark; contracts pass on the deploy gate alone.`,
          ),
        );
      } else if (snapshot) {
        output.line(
          output.colours.dim(
            `Snapshot of ${snapshot.statements} statement and ${snapshot.indexes} index counters taken: the evidence check compares with it.`,
          ),
        );
      }
      output.line(
        'Contracts whose earlier phases ran before it can now run with `strata migrate up --post-deploy`.',
      );
    },
  };
}
