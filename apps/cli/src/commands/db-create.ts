import { StrataError } from '@strata/errors';
import { UsageError } from '../cli-errors.js';
import { databaseNameOf, quoteDatabaseName } from '../database/database-url.js';
import { connectMaintenance } from '../database/maintenance-connection.js';
import { requireDatabaseUrl, shownUrl } from '../database/require-database-url.js';
import { EXIT_CODES } from '../exit-codes.js';
import type { CommandContext, CommandOutcome } from './command.js';
import type { DbCreateFlags, DbDropFlags } from './db-create-options.js';

/**
 * `strata db create`: creates the database the URL names, connected to the same server's
 * maintenance database. An existing database is an error unless `--if-not-exists`.
 */
export async function dbCreate(context: CommandContext, flags: DbCreateFlags): Promise<CommandOutcome> {
  const databaseUrl = requireDatabaseUrl(await context.config());
  const name = databaseNameOf(databaseUrl);
  const created = await runUnless('exists', databaseUrl, name, `create database ${quoteDatabaseName(name)}`);
  if (!created && !flags.ifNotExists) {
    throw new StrataError(
      'DATABASE_EXISTS',
      `Database "${name}" already exists. Pass --if-not-exists to accept that.`,
    );
  }
  return outcome(databaseUrl, name, 'created', created, `Database ${name} already exists.`);
}

/**
 * `strata db drop --yes`: drops the database the URL names. `--force` ends its sessions
 * first (DROP DATABASE ... WITH (FORCE)); `--if-exists` accepts a missing one. Without
 * `--yes` nothing happens (exit 2).
 */
export async function dbDrop(context: CommandContext, flags: DbDropFlags): Promise<CommandOutcome> {
  const databaseUrl = requireDatabaseUrl(await context.config());
  const name = databaseNameOf(databaseUrl);
  if (!flags.yes) {
    throw new UsageError(`Refusing to drop database "${name}" without --yes.`);
  }
  const dropped = await runUnless(
    'missing',
    databaseUrl,
    name,
    `drop database ${quoteDatabaseName(name)}${flags.force ? ' with (force)' : ''}`,
  );
  if (!dropped && !flags.ifExists) {
    throw new StrataError(
      'DATABASE_MISSING',
      `Database "${name}" does not exist. Pass --if-exists to accept that.`,
    );
  }
  return outcome(databaseUrl, name, 'dropped', dropped, `Database ${name} does not exist.`);
}

/**
 * Runs `statement` on the server's maintenance database unless database `name` already is
 * in the state it would bring about (`exists` for a create, `missing` for a drop); true when
 * it ran.
 */
async function runUnless(
  state: 'exists' | 'missing',
  databaseUrl: string,
  name: string,
  statement: string,
): Promise<boolean> {
  const admin = await connectMaintenance(databaseUrl, 'strata-cli', name);
  try {
    const { rows } = await admin.query('select 1 from pg_database where datname = $1', [name]);
    if (rows.length > 0 === (state === 'exists')) return false;
    await admin.query(statement);
    return true;
  } finally {
    await admin.end();
  }
}

function outcome(
  databaseUrl: string,
  name: string,
  action: 'created' | 'dropped',
  done: boolean,
  otherwise: string,
): CommandOutcome {
  return {
    exitCode: EXIT_CODES.ok,
    document: { database: shownUrl(databaseUrl), name, [action]: done },
    render(output) {
      output.line(done ? `${output.colours.green(action)} database ${name}` : otherwise);
    },
  };
}
