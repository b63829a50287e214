import type { PgBouncerProviderName, PoolMode } from './start-pgbouncer-options.js';

/** A running PgBouncer in front of a PostgreSQL server. */
export interface LocalPgBouncer {
  /**
   * The upstream's database through PgBouncer, with the upstream's user and password — a
   * secret: redact it before logging. The port stays the same across `restart()`.
   */
  readonly url: string;
  /** PgBouncer's admin console (database `pgbouncer`, same login): `SHOW POOLS`, `PAUSE`, … */
  readonly adminUrl: string;
  /** PgBouncer's version, e.g. `1.18.0`, from `SHOW VERSION`; `unknown` if the console refused. */
  readonly version: string;
  readonly poolMode: PoolMode;
  readonly provider: PgBouncerProviderName;
  /** Its log file (binary provider only). */
  readonly logFile?: string | undefined;
  /** Its process id while it runs (binary provider only). */
  pid(): number | undefined;
  /** Stops it and removes its files; a no-op for a PgBouncer from the environment. */
  stop(): Promise<void>;
  /** Sends it SIGKILL, as a crash would; `restart()` brings it back. */
  kill(): Promise<void>;
  /** Stops it if it runs and starts it again on the same port and configuration. */
  restart(): Promise<void>;
}
