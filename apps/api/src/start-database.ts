import { startPostgres } from '@strata/local-postgres';
import type { AppLogger } from './create-logger.js';
import { superviseEmbeddedServer } from './supervise-embedded-server.js';

/** The PostgreSQL server the API runs on. */
export interface Database {
  /** A secret (it holds the password): log it only through redactConnectionString. */
  readonly connectionString: string;
  readonly provider: 'url' | 'embedded';
  /** Where the embedded server keeps its data. */
  readonly dataDir?: string | undefined;
  /** Stops the embedded server (a clean, fast shutdown); nothing for a server given by URL. */
  stop(): Promise<void>;
}

/**
 * With a `databaseUrl`, that server. Without one, an embedded PostgreSQL 16 in persistent
 * mode: its data (and credentials) stay in `dataDir`, so what the API stored is there on the
 * next start, and it is supervised: started again, same port and data, if it dies on its
 * own. Docker is not tried: a container's data would not survive the way a newcomer expects.
 */
export async function startDatabase(
  config: { databaseUrl?: string | undefined; dataDir: string },
  logger: AppLogger,
): Promise<Database> {
  if (config.databaseUrl !== undefined) {
    return { connectionString: config.databaseUrl, provider: 'url', stop: async () => {} };
  }
  const server = await startPostgres({
    providers: ['embedded'],
    persistent: true,
    dataDir: config.dataDir,
    // The line names the provider and the URL with its password replaced by ***.
    log: (line) => logger.info({ dataDir: config.dataDir }, line),
  });
  const { primary } = server;
  const supervision = primary ? superviseEmbeddedServer(primary, logger) : undefined;
  return {
    connectionString: server.connectionString,
    provider: 'embedded',
    dataDir: server.dataDir,
    async stop() {
      const supervisionEnded = supervision?.stop();
      await server.stop();
      await supervisionEnded;
      // A restart that was under way when stop() came may have brought the server back.
      if (primary?.pid() !== undefined) await primary.stop();
    },
  };
}
