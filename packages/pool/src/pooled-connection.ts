import pg from 'pg';
import { sendCancelRequest } from './cancel-request.js';
import type { HostAddress } from './multi-host-url.js';
import type { RemovalReason } from './pool.js';

/** node-postgres internals the pool relies on (stable across pg 8; not in @types/pg). */
interface ClientInternals {
  processID: number | null;
  secretKey: number | null;
  connection: {
    parsedStatements: Record<string, string>;
    submittedNamedStatements: Record<string, string>;
    on(
      event: 'parameterStatus',
      listener: (message: { parameterName: string; parameterValue: string }) => void,
    ): void;
  };
}

const CONNECTION = Symbol('strata.pooledConnection');
type TaggedClient = pg.Client & { [CONNECTION]?: PooledConnection };

/**
 * One physical connection and what the pool knows about it: when it was opened, when it
 * must retire, whether it broke, and who holds it. The pg client is tagged with it, so a
 * client Knex hands back leads to its record without a lookup table.
 */
export class PooledConnection {
  readonly id: number;
  readonly client: pg.Client;
  readonly createdAt: number;
  /** `performance.now()` after which the connection is retired at its next release. */
  readonly retireAt: number;
  state: 'opening' | 'idle' | 'active' | 'probing' | 'closed' = 'opening';
  /** The socket failed or the server ended the session; the connection must not be reused. */
  broken = false;
  /**
   * What the server or the socket said when the connection broke while no statement ran on
   * it (e.g. FATAL 25P03 after `idle_in_transaction_session_timeout`, 57P01 on termination).
   */
  brokenBy: unknown = undefined;
  /** Called once when the connection breaks (socket error, session ended by the server). */
  onBroken: (() => void) | undefined = undefined;
  /** A prepared statement went stale inside a transaction; retire the connection at release. */
  discard = false;
  lastReleasedAt: number;
  leasedAt = 0;
  /** Where the current holder acquired it; only for holds that can leak (connect(), Knex). */
  leaseStack: Error | undefined = undefined;
  leakReported = false;
  /** A holder's statement is running on this connection (see `runOn`). */
  busy = false;
  /** Holders' statements waiting for their turn, first come first served. */
  #waiting: Array<() => void> | undefined = undefined;
  /** The server it is connected to. */
  readonly endpoint: HostAddress;
  /**
   * What the server reports (ParameterStatus, PostgreSQL 14+; undefined before): whether it is
   * a hot standby, and whether transactions default to read-only. Kept current as it changes.
   */
  inHotStandby: boolean | undefined = undefined;
  defaultReadOnly: boolean | undefined = undefined;
  /** The pool was told this connection broke; it is told once. */
  lossReported = false;

  constructor(id: number, client: pg.Client, lifetime: number) {
    this.id = id;
    this.client = client;
    this.endpoint = { host: client.host, port: client.port };
    (client as unknown as ClientInternals).connection.on('parameterStatus', (message) => {
      if (message.parameterName === 'in_hot_standby') this.inHotStandby = message.parameterValue === 'on';
      if (message.parameterName === 'default_transaction_read_only') {
        this.defaultReadOnly = message.parameterValue === 'on';
      }
    });
    this.createdAt = performance.now();
    this.lastReleasedAt = this.createdAt;
    this.retireAt = lifetime > 0 ? this.createdAt + lifetime : Number.POSITIVE_INFINITY;
    (client as TaggedClient)[CONNECTION] = this;
  }

  /** Resolves when the statement running now passes its turn on (to this caller, in arrival order). */
  waitTurn(): Promise<void> {
    this.#waiting ??= [];
    const waiting = this.#waiting;
    return new Promise((resolve) => waiting.push(resolve));
  }

  /** The running statement is done: the next waiting one runs, or the connection is free. */
  passTurn(): void {
    const next = this.#waiting?.shift();
    if (next === undefined) this.busy = false;
    else next(); // stays busy: the turn goes straight to the next statement
  }

  /** The record behind a pg client the pool handed out. */
  static of(client: unknown): PooledConnection | undefined {
    return (client as TaggedClient | undefined)?.[CONNECTION];
  }

  /** The backend's process id (`pg_backend_pid()`). */
  get processId(): number {
    return (this.client as unknown as ClientInternals).processID ?? 0;
  }

  get secretKey(): number {
    return (this.client as unknown as ClientInternals).secretKey ?? 0;
  }

  /** Forgets a prepared statement node-postgres believes exists, so it is parsed again. */
  forgetStatement(name: string): void {
    const { connection } = this.client as unknown as ClientInternals;
    delete connection.parsedStatements[name];
    delete connection.submittedNamedStatements[name];
  }

  /**
   * Why the pool must close this connection rather than hand it out or take it back, or
   * undefined when it may be used. Being released (still `active`), its session is checked
   * too: a stale statement or an open transaction must not reach the next holder.
   */
  removalReason(now: number, poolClosed: boolean): RemovalReason | undefined {
    if (this.broken) return 'broken';
    if (poolClosed) return 'pool-closed';
    if (now >= this.retireAt) return 'max-lifetime';
    if (this.state !== 'active') return undefined;
    if (this.discard) return 'stale-statement';
    if (this.client.getTransactionStatus() !== 'I') return 'in-transaction';
    return undefined;
  }

  /**
   * The error that explains a statement failing on this connection: the reason the session
   * ended, when it ended before (the driver then only says "not queryable"), else `error`.
   */
  failureCause(error: unknown): unknown {
    return this.brokenBy ?? error;
  }

  /** Asks the server to cancel the statement this connection runs, if any; never rejects. */
  cancel(timeoutMs: number): Promise<void> {
    return sendCancelRequest(this.endpoint, this.processId, this.secretKey, timeoutMs);
  }

  /** A round trip within `timeoutMs`; false (and marked broken) when the connection is dead or hung. */
  ping(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.broken = true;
        resolve(false);
      }, timeoutMs);
      this.client.query('SELECT 1').then(
        () => {
          clearTimeout(timer);
          resolve(!this.broken);
        },
        () => {
          clearTimeout(timer);
          this.broken = true;
          resolve(false);
        },
      );
    });
  }

  /** Ends the session politely, cutting the socket if the server does not answer within `timeoutMs`. */
  end(timeoutMs: number): Promise<void> {
    const socket = (this.client as unknown as { connection: { stream: { destroy(): void } } }).connection;
    const timer = setTimeout(() => socket.stream.destroy(), timeoutMs).unref();
    return this.client
      .end()
      .catch(() => {})
      .finally(() => clearTimeout(timer));
  }
}

/** A new connection's lifetime: drawn from [maxLifetime × (1 − jitter), maxLifetime]; 0 = no limit. */
export function drawLifetime(settings: { maxLifetime: number; maxLifetimeJitter: number }): number {
  const { maxLifetime, maxLifetimeJitter } = settings;
  return maxLifetime > 0 ? maxLifetime * (1 - maxLifetimeJitter * Math.random()) : 0;
}

/**
 * Opens one connection. An `error` listener is attached before connecting: a server that
 * ends an idle session would otherwise crash the process with an unhandled `error` event.
 */
export async function openConnection(
  config: pg.ClientConfig,
  id: number,
  lifetime: number,
): Promise<PooledConnection> {
  const client = new pg.Client(config);
  const connection = new PooledConnection(id, client, lifetime);
  const markBroken = (error?: unknown) => {
    if (connection.broken) return;
    connection.broken = true;
    connection.brokenBy = error;
    connection.onBroken?.();
  };
  client.on('error', markBroken);
  client.on('end', () => markBroken());
  try {
    await client.connect();
  } catch (error) {
    markBroken();
    await client.end().catch(() => {});
    throw error;
  }
  return connection;
}
