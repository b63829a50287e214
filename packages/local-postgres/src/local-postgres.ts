import type { ProviderName } from './start-postgres-options.js';

/** A running PostgreSQL server, whichever provider supplied it. */
export interface LocalPostgres {
  /** `postgres://user:password@host:port/postgres` — a secret: redact it before logging. */
  readonly connectionString: string;
  /** Which provider supplied the server. */
  readonly provider: ProviderName;
  /** The data directory (embedded provider only). */
  readonly dataDir?: string | undefined;
  /** The server log file (embedded provider only). */
  readonly logFile?: string | undefined;
  /** Stops the server (a no-op for a URL from the environment) and removes its temporary files. */
  stop(): Promise<void>;
}
