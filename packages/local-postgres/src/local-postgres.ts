import type { ServerExit } from './server-process.js';
import type { ProviderName } from './start-postgres-options.js';

export type { ServerExit };

/** How `stop()` shuts a server down; both keep its data for `start()`. */
export type ServerStopMode = 'fast' | 'immediate';

/**
 * One PostgreSQL server process of an embedded cluster — the primary or a streaming replica —
 * with the faults a test may inflict on it. Stopping or killing it keeps its port and data, so
 * `start()` brings the same server back and clients can reconnect to the same URL.
 */
export interface LocalPostgresServer {
  /** `primary`, `replica-1`, `replica-2`, … */
  readonly name: string;
  /** `postgres://user:password@127.0.0.1:port/postgres` — a secret: redact it before logging. */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** This server's log file. */
  readonly logFile: string;
  /** The postmaster's process id while it runs, otherwise `undefined`. */
  pid(): number | undefined;
  /**
   * Calls `listener` each time the postmaster exits after it had started: `requested` is
   * false when nothing of this handle asked for it (a crash, `kill -9` from outside, the OOM
   * killer), so a supervisor can `start()` it again. Returns the function that unsubscribes.
   */
  onExit(listener: (exit: ServerExit) => void): () => void;
  /**
   * Shuts the server down: `fast` (the default) rolls back open transactions and writes a
   * checkpoint; `immediate` exits without one, so the next `start()` runs crash recovery.
   */
  stop(options?: { mode?: ServerStopMode }): Promise<void>;
  /** Sends SIGKILL to the postmaster, as a crash would; resolves once it has exited. */
  kill(): Promise<void>;
  /** Starts the server again (a no-op while it runs); resolves when it accepts connections. */
  start(): Promise<void>;
  /** `stop(options)`, then `start()`. */
  restart(options?: { mode?: ServerStopMode }): Promise<void>;
  /** Promotes a replica to a primary (`pg_promote`); resolves once it accepts writes. */
  promote(): Promise<void>;
}

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
  /** The primary as a server handle with fault helpers (embedded provider only). */
  readonly primary?: LocalPostgresServer | undefined;
  /** Streaming replicas of the primary, as many as the `replicas` option asked for. */
  readonly replicas: readonly LocalPostgresServer[];
  /**
   * Stops every server (a no-op for a URL from the environment) and removes temporary files.
   */
  stop(): Promise<void>;
}
