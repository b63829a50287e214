import { createTestDatabase, databaseUrl } from '@strata/local-postgres/test-database';
import { type RunningServer, type StartServerOptions, startServer } from '../start-server.js';

/** A running API for a test file, on a database of its own, with its log lines kept. */
export interface TestServer {
  readonly server: RunningServer;
  readonly url: string;
  /** Every log line the server wrote, as written (JSON). */
  readonly logLines: string[];
  readonly databaseName: string;
  /** Stops the server and drops its database. */
  close(): Promise<void>;
}

/**
 * Starts the real API (`startServer`, the same path as `pnpm start`) on 127.0.0.1 and a free
 * port, against a fresh database on the test server; migrations run at start as in
 * production. The environment is empty, so nothing from the shell leaks in. With `cluster`,
 * the database is made on its primary and the API reads from the same database on its
 * replicas (as DATABASE_REPLICA_URLS would configure).
 */
export async function startTestServer(
  prefix: string,
  options: Pick<StartServerOptions, 'pool'> & {
    migrate?: boolean;
    cursorSecret?: string;
    cluster?: { primaryUrl: string; replicaUrls: readonly string[] };
  } = {},
): Promise<TestServer> {
  const { cluster } = options;
  const database = await createTestDatabase({ prefix, serverUrl: cluster?.primaryUrl });
  const replicas = cluster?.replicaUrls.map((url) => databaseUrl(url, database.name)) ?? [];
  const logLines: string[] = [];
  try {
    const server = await startServer({
      environment: {},
      config: {
        databaseUrl: database.url,
        host: '127.0.0.1',
        port: 0,
        logLevel: 'debug',
        migrate: options.migrate ?? true,
        shutdownTimeoutMs: 5_000,
        ...(options.cursorSecret === undefined ? {} : { cursorSecret: options.cursorSecret }),
      },
      pool: { min: 0, ...(replicas.length > 0 ? { replicas } : {}), ...options.pool },
      logDestination: { write: (line: string) => void logLines.push(line) },
    });
    return {
      server,
      url: server.url,
      logLines,
      databaseName: database.name,
      async close() {
        await server.close();
        await database.drop();
      },
    };
  } catch (error) {
    await database.drop();
    throw error;
  }
}
