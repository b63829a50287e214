import { randomBytes } from 'node:crypto';
import { DatabaseError, StrataError } from '@strata/errors';
import { quoteDatabaseName, withDatabase } from '../database/database-url.js';
import { connectMaintenance } from '../database/maintenance-connection.js';

/** A database made for one rehearsal. */
export interface ThrowawayDatabase {
  name: string;
  connectionString: string;
  /** Drops it, ending any session still in it. */
  drop(): Promise<void>;
}

/** The rehearsal could not make its database. */
export class RehearsalDatabaseError extends StrataError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('REHEARSAL_DATABASE_FAILED', message, options);
  }
}

/**
 * Creates `strata_rehearsal_<time>_<random>` on the server of `serverUrl`: empty, or a copy
 * of database `template` (CREATE DATABASE ... TEMPLATE, which PostgreSQL allows only while
 * no other session is connected to the template).
 */
export async function createThrowawayDatabase(
  serverUrl: string,
  template?: string,
): Promise<ThrowawayDatabase> {
  const name = `strata_rehearsal_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = await connectMaintenance(serverUrl, 'strata-rehearsal', template);
  try {
    await admin.query(
      `create database ${quoteDatabaseName(name)}${template === undefined ? '' : ` template ${quoteDatabaseName(template)}`}`,
    );
  } catch (error) {
    if (error instanceof DatabaseError && error.sqlState === '55006') {
      throw new RehearsalDatabaseError(
        `Cannot clone database "${template}" with CREATE DATABASE ... TEMPLATE while other sessions are connected to it. Close them, or rehearse with --clone replay (it only reads the migration history).`,
        { cause: error },
      );
    }
    if (error instanceof DatabaseError && error.sqlState === '42501') {
      throw new RehearsalDatabaseError(
        'The database role may not create databases (CREATEDB); a rehearsal needs a throwaway database. Use a role that may, or rehearse without --database-url on a local server.',
        { cause: error },
      );
    }
    throw error;
  } finally {
    await admin.end();
  }
  return {
    name,
    connectionString: withDatabase(serverUrl, name),
    async drop() {
      const cleanup = await connectMaintenance(serverUrl, 'strata-rehearsal', name);
      try {
        await cleanup.query(`drop database if exists ${quoteDatabaseName(name)} with (force)`);
      } finally {
        await cleanup.end();
      }
    },
  };
}
