import { type BaselineReport, baselineMigrations } from '@strata/migrate';
import { EXIT_CODES } from '../exit-codes.js';
import { plural } from '../output/format.js';
import type { CommandContext, CommandOutcome } from './command.js';
import type { MigrateBaselineFlags } from './migrate-baseline-options.js';

/**
 * `strata migrate baseline [--through <seq|name>]`: adopts an existing history. Writes
 * `<dir>/.strata-baseline` listing the migrations (all, or up to `--through`) with their
 * sha256; `migrate lint` and `migrate up` then leave those files alone — `up` applies them on
 * a fresh database without waivers — while newer files, or an adopted file that changes, are
 * judged as usual. Needs no database.
 */
export async function migrateBaseline(
  context: CommandContext,
  flags: MigrateBaselineFlags,
): Promise<CommandOutcome> {
  const config = await context.config();
  const report: BaselineReport = await baselineMigrations({
    directory: config.migrationsDir,
    through: flags.through,
  });
  return {
    exitCode: EXIT_CODES.ok,
    document: { directory: config.migrationsDir, ...report },
    render(output) {
      const c = output.colours;
      for (const fileName of report.added) output.line(`${c.green('adopted')} ${fileName}`);
      output.line(
        `${report.path} lists ${plural(report.files.length, 'migration')} (${report.added.length} new).`,
      );
      output.line(
        'Commit it with the migrations: lint and up no longer judge these files while they stay unchanged.',
      );
    },
  };
}
