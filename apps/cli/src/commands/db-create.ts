import { StrataError } from '@strata/errors';
import { UsageError } from '../cli-errors.js';
import { databaseNameOf, quoteDatabaseName } from '../database/database-url.js';
import { connectMaintenance } from '../database/maintenance-connection.js';
import { requireDatabaseUrl, shownUrl } from '../database/require-database-url.js';
import { EXIT_CODES } from '../exit-codes.js';
import type { CommandContext, CommandOutcome } from './command.js';

export interface DbFlags {
  config?: string;
  databaseUrl?: string;
  json?: boolean;
  ifNotExists?: boolean;
  ifExists?: boolean;
  force?: boolean;
  yes?: boolean;
}

const databaseFlags = (flags: DbFlags) => ({
  config: flags.config,
  values: { databaseUrl: flags.databaseUrl },
  labels: { databaseUrl: '--database-url' },
});

/**
 * `strata db create`: creates the database the URL names, connected to the same server's
 * maintenance database. An existing database is an error unless `--if-not-exists`.
 */
export async function dbCreate(context: CommandContext, flags: DbFlags): Promise<CommandOutcome> {
  const config = await context.config(databaseFlags(flags));
  const databaseUrl = requireDatabaseUrl(config);
  const name = databaseNameOf(databaseUrl);
  const admin = await connectMaintenance(databaseUrl, 'strata-cli', name);
  let created = false;
  try {
    const { rows } = await admin.query('select 1 from pg_database where datname = $1', [name]);
    if (rows.length === 0) {
      await admin.query(`create database ${quoteDatabaseName(name)}`);
      created = true;
    } else if (!flags.ifNotExists) {
      throw new StrataError(
        'DATABASE_EXISTS',
        `Database "${name}" already exists. Pass --if-not-exists to accept that.`,
      );
    }
  } finally {
    await admin.end();
  }
  return {
    exitCode: EXIT_CODES.ok,
    document: { database: shownUrl(databaseUrl), name, created },
    render(output) {
      output.line(
        created ? `${output.colours.green('created')} database ${name}` : `Database ${name} already exists.`,
      );
    },
  };
}

/**
 * `strata db drop --yes`: drops the database the URL names. `--force` ends its sessions
 * first (DROP DATABASE ... WITH (FORCE)); `--if-exists` accepts a missing one. Without
 * `--yes` nothing happens (exit 2).
 */
export async function dbDrop(context: CommandContext, flags: DbFlags): Promise<CommandOutcome> {
  const config = await context.config(databaseFlags(flags));
  const databaseUrl = requireDatabaseUrl(config);
  const name = databaseNameOf(databaseUrl);
  if (!flags.yes) {
    throw new UsageError(`Refusing to drop database "${name}" without --yes.`);
  }
  const admin = await connectMaintenance(databaseUrl, 'strata-cli', name);
  let dropped = false;
  try {
    const { rows } = await admin.query('select 1 from pg_database where datname = $1', [name]);
    if (rows.length > 0) {
      await admin.query(`drop database ${quoteDatabaseName(name)}${flags.force ? ' with (force)' : ''}`);
      dropped = true;
    } else if (!flags.ifExists) {
      throw new StrataError(
        'DATABASE_MISSING',
        `Database "${name}" does not exist. Pass --if-exists to accept that.`,
      );
    }
  } finally {
    await admin.end();
  }
  return {
    exitCode: EXIT_CODES.ok,
    document: { database: shownUrl(databaseUrl), name, dropped },
    render(output) {
      output.line(
        dropped ? `${output.colours.green('dropped')} database ${name}` : `Database ${name} does not exist.`,
      );
    },
  };
}
