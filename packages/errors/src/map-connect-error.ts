import { ConnectionError } from './connection-error.js';
import { DatabaseError } from './database-error.js';
import { mapDatabaseError } from './map-database-error.js';

// What a server answers a connection attempt with when it will not take it: the login was
// refused (class 28: wrong password, no pg_hba.conf entry) or the database does not exist.
const WHAT_TO_DO: Record<string, string> = {
  '28': 'Check the user and password of the connection URL.',
  '3D000': 'Create it or fix the database name of the connection URL.',
};

/**
 * Maps an error from opening a connection (`client.connect()`). Beyond what
 * `mapDatabaseError` does, a refused login (SQLSTATE class 28, e.g. `password authentication
 * failed`) or a database that does not exist (3D000) becomes a `ConnectionError` whose
 * `reason` is the SQLSTATE: the connection could not be made, like a refused socket. Use it
 * where only connecting can fail that way; statements keep `mapDatabaseError`.
 */
export function mapConnectError(error: unknown): unknown {
  const mapped = mapDatabaseError(error);
  if (!(mapped instanceof DatabaseError)) return mapped;
  const { sqlState, serverMessage } = mapped;
  const whatToDo = WHAT_TO_DO[sqlState] ?? WHAT_TO_DO[sqlState.slice(0, 2)];
  if (whatToDo === undefined) return mapped;
  const what = sqlState === '3D000' ? 'the connection' : 'the login';
  return new ConnectionError(
    `PostgreSQL refused ${what} (SQLSTATE ${sqlState}): ${serverMessage}. ${whatToDo}`,
    {
      cause: error,
      reason: sqlState,
    },
  );
}
