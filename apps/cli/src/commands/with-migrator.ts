import type { Migrator, MigratorEvent } from '@strata/migrate';
import type { CliConfig } from '../config/cli-config.js';
import { requireMigrationUrl } from '../database/require-database-url.js';
import type { CommandContext } from './command.js';
import { openMigrator } from './open-migrator.js';

/** What a migrator command's work returned, with the configuration and database it ran on. */
export interface MigratorWork<T> {
  config: CliConfig;
  /** The URL the migrator used (`migrationUrl` when set). */
  databaseUrl: string;
  result: T;
}

/**
 * The course of every command that drives the migrator: resolves the command's
 * configuration, requires a database URL (a usage error without one), opens a migrator on it
 * (on `migrationUrl` when set, which bypasses PgBouncer)
 * — following schema_design.md's deploy gates with `designGates`, reporting to `onEvent` —
 * runs `work` with it and closes it, whatever happens.
 */
export async function withMigrator<T>(
  context: CommandContext,
  options: { designGates?: boolean; onEvent?: (event: MigratorEvent) => void },
  work: (migrator: Migrator) => Promise<T>,
): Promise<MigratorWork<T>> {
  const config = await context.config();
  const databaseUrl = requireMigrationUrl(config);
  const migrator = await openMigrator(config, {
    connectionString: databaseUrl,
    designFile: options.designGates ? config.designFile : undefined,
    onEvent: options.onEvent,
  });
  try {
    return { config, databaseUrl, result: await work(migrator) };
  } finally {
    await migrator.close();
  }
}
