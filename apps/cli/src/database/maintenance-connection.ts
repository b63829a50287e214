import { DatabaseError } from '@strata/errors';
import { connect, type SqlClient } from './connect.js';
import { withDatabase } from './database-url.js';

/**
 * A session on the server of `connectionString` but in a maintenance database (`postgres`,
 * else `template1`), for CREATE/DROP DATABASE, which cannot run inside the database they
 * act on. `avoid` is a database not to use (the one being dropped or cloned).
 */
export async function connectMaintenance(
  connectionString: string,
  applicationName: string,
  avoid?: string,
): Promise<SqlClient> {
  const candidates = ['postgres', 'template1'].filter((name) => name !== avoid);
  let lastError: unknown;
  for (const database of candidates) {
    try {
      return await connect(withDatabase(connectionString, database), applicationName);
    } catch (error) {
      lastError = error;
      // Only a missing database is worth another try; a bad password or a down server is not.
      if (!(error instanceof DatabaseError && error.sqlState === '3D000')) throw error;
    }
  }
  throw lastError;
}
