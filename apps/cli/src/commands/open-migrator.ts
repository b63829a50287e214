import { readdir } from 'node:fs/promises';
import { createMigrator, type Migrator, type MigratorEvent, type MigratorOptions } from '@strata/migrate';
import type { CliConfig } from '../config/cli-config.js';
import { createKnex } from '../database/create-knex.js';
import { isTypeScriptFile, registerTypeScriptLoader } from '../typescript-loader.js';

/**
 * Creates the migrator for a command from the configuration, on a small Knex pool of its own
 * (closed by `close()`). `.ts` migrations in the folder get tsx's loader first, so they
 * import on Node 20 as they would on Node ≥ 22.18.
 */
export async function openMigrator(
  config: CliConfig,
  options: {
    connectionString: string;
    onEvent?: (event: MigratorEvent) => void;
    designFile?: string | undefined;
    extra?: Partial<MigratorOptions>;
  },
): Promise<Migrator> {
  await registerLoaderFor(config.migrationsDir);
  const knex = createKnex(options.connectionString);
  const migrator = createMigrator({
    directory: config.migrationsDir,
    knex,
    ...(config.schema === undefined ? {} : { schema: config.schema }),
    ...(config.historyTable === undefined ? {} : { historyTable: config.historyTable }),
    ...(config.deployTable === undefined ? {} : { deployTable: config.deployTable }),
    ...(config.lockTimeout === undefined ? {} : { lockTimeout: config.lockTimeout }),
    ...(config.statementTimeout === undefined ? {} : { statementTimeout: config.statementTimeout }),
    ...(config.lockWaitTimeout === undefined ? {} : { lockWaitTimeout: config.lockWaitTimeout }),
    ...(options.designFile === undefined ? {} : { designFile: options.designFile }),
    ...(config.evidence === undefined ? {} : { evidence: config.evidence }),
    ...(config.lint.catalog
      ? {
          lintCatalog: {
            smallTableRows: config.lint.smallTableRows,
            smallTableBytes: config.lint.smallTableBytes,
          },
        }
      : {}),
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
    ...options.extra,
  });
  return {
    ...migrator,
    async close() {
      await migrator.close();
      await knex.destroy();
    },
  };
}

async function registerLoaderFor(directory: string): Promise<void> {
  try {
    if ((await readdir(directory)).some(isTypeScriptFile)) await registerTypeScriptLoader();
  } catch {
    // A missing folder is reported by the migrator, with its own message.
  }
}
