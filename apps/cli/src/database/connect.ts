import { mapDatabaseError } from '@strata/errors';
import pg from 'pg';

/** The narrow client the CLI's own queries need. */
export interface SqlClient {
  query<T extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: T[] }>;
  /** The backend pid of this session. */
  readonly processId: number;
  end(): Promise<void>;
}

/**
 * Opens one session (not a pool) with `application_name` set, for the CLI's own short
 * work: doctor, db create/drop, seeds, rehearsal sampling. Errors come out typed (through
 * `mapDatabaseError`), so a refused connection is a `ConnectionError`.
 */
export async function connect(
  connectionString: string,
  applicationName: string,
  options: { connectTimeoutMs?: number } = {},
): Promise<SqlClient> {
  const client = new pg.Client({
    connectionString,
    application_name: applicationName,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
  });
  // An idle client whose server goes away emits 'error'; without a listener it would crash the CLI.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw mapDatabaseError(error);
  }
  return {
    async query<T extends Record<string, unknown>>(text: string, values?: unknown[]) {
      try {
        const result = await client.query(text, values);
        return { rows: result.rows as T[] };
      } catch (error) {
        throw mapDatabaseError(error);
      }
    },
    get processId() {
      return (client as unknown as { processID: number }).processID;
    },
    end: () => client.end().catch(() => undefined),
  };
}
