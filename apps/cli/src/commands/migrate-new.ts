import { createMigrator } from '@strata/migrate';
import { EXIT_CODES } from '../exit-codes.js';
import type { CommandContext, CommandOutcome } from './command.js';
import type { MigrateNewFlags } from './migrate-new-options.js';

// `newMigration` only writes a file, but createMigrator wants a database target. Nothing
// connects to this one: a reserved `.invalid` host (RFC 2606) that could never resolve.
const UNUSED_DATABASE = 'postgres://strata@no-database.invalid/none';

/**
 * `strata migrate new --scope S --phase P <description...>`: creates
 * `{next seq}_{scope}_{phase}_{description}.sql` (or `.ts`/`.js`) with the phase's template.
 * Needs no database.
 */
export async function migrateNew(
  context: CommandContext,
  description: string[],
  flags: MigrateNewFlags,
): Promise<CommandOutcome> {
  const config = await context.config();
  const migrator = createMigrator({ directory: config.migrationsDir, connectionString: UNUSED_DATABASE });
  let created: Awaited<ReturnType<typeof migrator.newMigration>>;
  try {
    created = await migrator.newMigration({
      scope: flags.scope,
      phase: flags.phase,
      description: description.join(' '),
      extension: flags.ext,
    });
  } finally {
    await migrator.close();
  }
  const file = {
    path: created.path,
    fileName: created.fileName,
    seq: created.seq,
    scope: created.scope,
    phase: created.phase,
    description: created.description,
  };
  return {
    exitCode: EXIT_CODES.ok,
    document: { file },
    render(output) {
      output.line(`${output.colours.green('created')} ${file.path}`);
    },
  };
}
