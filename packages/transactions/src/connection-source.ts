import { mapDatabaseError } from '@strata/errors';
import {
  getAmbientConnection,
  type Pool,
  type QueryResult,
  type ReadConsistency,
  runWithAmbientContext,
  runWithConnection,
} from '@strata/pool';
import { type KnexClientInternals, knexClientOf, type PgConnection } from './knex-client-internals.js';
import type { NetworkAddress } from './network-address.js';

/** The Knex type of the pool's shared instance (Strata takes it from @strata/pool). */
export type Knex = Pool['knex'];

/** Anything that runs one SQL statement with `$1` parameters: a pool, a checked-out client, a transaction. */
export interface Queryable {
  query<Row = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<QueryResult<Row>>;
}

/** One connection held for one transaction attempt. */
export interface Lease {
  /** Runs statements on the held connection; errors arrive as typed Strata errors. */
  readonly connection: Queryable;
  /** Gives the connection back; `destroy` closes it instead (it may be broken or mid-transaction). */
  release(destroy: boolean): void | Promise<void>;
  /**
   * Runs `fn` with the held connection ambient for the source (pool.query, pool.knex,
   * Objection) and `context` (the transaction) attached, in one AsyncLocalStorage scope.
   */
  runAmbient<R>(fn: () => R, context?: unknown): R;
}

/** Where transactions get their connections: a Strata pool or a Knex instance. */
export interface ConnectionSource {
  /** The object the caller passed; nested calls with the same target become savepoints. */
  readonly target: object;
  /** The Knex instance that `tx.knex` is bound from. */
  readonly knex: Knex;
  /** The database server; the network guard lets sockets to it through. */
  readonly databaseAddresses: readonly NetworkAddress[];
  /**
   * A connection for a transaction: the ambient one when there is one, else a pooled one —
   * of a read replica when `on` asks for one and the pool has one that qualifies.
   * `leakDetection: false` leaves the checkout out of the pool's leak detection (no stack
   * captured), for a holder that reports long holds itself.
   */
  acquire(on?: ReadConsistency, leakDetection?: boolean): Promise<Lease>;
  /** A pooled connection of its own, never the ambient one. */
  acquireOwn(on?: ReadConsistency, leakDetection?: boolean): Promise<Lease>;
  /** True when connections come through PgBouncer in transaction mode (known after the first one). */
  behindTransactionPooling(): boolean;
}

const sources = new WeakMap<object, ConnectionSource>();

const UNWATCHED = { leakDetection: false } as const;

// For a lease whose connection needs no frame of its own (already ambient, or a Knex one).
const withContext = <R>(fn: () => R, context?: unknown): R =>
  context === undefined ? fn() : runWithAmbientContext(context, fn);

/** The source for a Strata pool: its connections, its ambient-connection hook, its Knex. */
export function poolSource(pool: Pool): ConnectionSource {
  let source = sources.get(pool);
  if (!source) {
    source = {
      target: pool,
      // A getter: pool.knex loads knex (an optional peer dependency) on first access, and a
      // transaction that only runs SQL must not need it.
      get knex() {
        return pool.knex;
      },
      // Every server the pool may connect to: its hosts (failover) and its read replicas.
      databaseAddresses: [
        { host: pool.config.host, port: pool.config.port },
        ...pool.config.hosts,
        ...pool.config.replicas,
      ],
      acquire(on, leakDetection = true): Promise<Lease> {
        // A connection already ambient for this pool (e.g. a session advisory lock's) is
        // borrowed: the transaction runs on it and leaves releasing it to its owner.
        const ambient = getAmbientConnection(pool);
        if (ambient)
          return Promise.resolve({ connection: ambient, release: () => {}, runAmbient: withContext });
        return this.acquireOwn(on, leakDetection);
      },
      acquireOwn(on, leakDetection = true): Promise<Lease> {
        const watch = leakDetection ? undefined : UNWATCHED;
        const connect =
          on === undefined || on === 'primary' ? pool.connect(watch) : pool.reader(on).connect();
        return connect.then((client) => ({
          connection: client,
          release: (destroy) => client.release(destroy),
          runAmbient: (fn, context) => runWithConnection(pool, client, fn, context),
        }));
      },
      behindTransactionPooling: () => pool.pgbouncer === 'transaction',
    };
    sources.set(pool, source);
  }
  return source;
}

/**
 * The source for a Knex instance (PostgreSQL dialect). Connections come from the Knex
 * instance's own pool. While a transaction is open, queries through that Knex instance in
 * the same async context run on the transaction's connection, and `knex.transaction()`
 * becomes a savepoint: its client is hooked once (see `hookKnexClient`).
 */
export function knexSource(
  knex: Knex,
  currentConnection: (target: object) => PgConnection | undefined,
): ConnectionSource {
  let source = sources.get(knex);
  if (!source) {
    const client = knexClientOf(knex);
    const pooled = hookKnexClient(knex, client, currentConnection);
    source = {
      target: knex,
      knex,
      databaseAddresses: knexDatabaseAddresses(client),
      acquire(): Promise<Lease> {
        return this.acquireOwn();
      },
      async acquireOwn(): Promise<Lease> {
        const raw = await pooled.acquireConnection.call(client);
        const connection: Queryable = {
          query: async <Row>(text: string, values?: readonly unknown[]) => {
            try {
              return (await raw.query(text, values)) as unknown as QueryResult<Row>;
            } catch (error) {
              throw mapDatabaseError(error);
            }
          },
        };
        return {
          connection,
          async release(destroy) {
            if (destroy) {
              // Knex's pool validates connections before reuse and drops disposed ones.
              raw.__knex__disposed = new Error('Closed by @strata/transactions');
              await raw.end().catch(() => {});
            }
            await pooled.releaseConnection.call(client, raw);
          },
          runAmbient: withContext,
          [RAW]: raw,
        } as Lease;
      },
      behindTransactionPooling: () => false,
    };
    sources.set(knex, source);
  }
  return source;
}

/** Where a Knex lease keeps its raw connection, for the Knex hook. */
export const RAW: unique symbol = Symbol('strata.transactions.rawConnection');

const HOOKED = Symbol('strata.transactions.hooked');

/**
 * Makes a Knex instance transaction-aware, once: while a transaction on it is open in the
 * current async context, its queries use the transaction's connection (and never release
 * it), and `knex.transaction()` nests as a savepoint instead of issuing a second BEGIN.
 */
function hookKnexClient(
  knex: Knex,
  client: KnexClientInternals & { [HOOKED]?: PooledConnections },
  currentConnection: (target: object) => PgConnection | undefined,
): PooledConnections {
  const hooked = client[HOOKED];
  if (hooked) return hooked;
  const { acquireConnection, releaseConnection, transaction } = client;
  client[HOOKED] = { acquireConnection, releaseConnection };
  client.acquireConnection = function (this: KnexClientInternals) {
    const connection = currentConnection(knex);
    return connection ? Promise.resolve(connection) : acquireConnection.call(this);
  };
  client.releaseConnection = function (this: KnexClientInternals, connection: PgConnection) {
    return connection === currentConnection(knex)
      ? Promise.resolve()
      : releaseConnection.call(this, connection);
  };
  client.transaction = function (this: KnexClientInternals, container, config, outerTx) {
    const connection = outerTx || this.transacting ? undefined : currentConnection(knex);
    if (!connection) return transaction.call(this, container, config, outerTx);
    const nested = Object.create(this) as KnexClientInternals;
    nested.transacting = true;
    return transaction.call(nested, container, { ...config, connection }, outerTx);
  };
  return { acquireConnection, releaseConnection };
}

/** A Knex client's own connection methods, before the hook. */
interface PooledConnections {
  acquireConnection: KnexClientInternals['acquireConnection'];
  releaseConnection: KnexClientInternals['releaseConnection'];
}

function knexDatabaseAddresses(client: KnexClientInternals): NetworkAddress[] {
  const settings = client.connectionSettings;
  const connectionString =
    typeof settings === 'string' ? settings : (settings?.connectionString ?? undefined);
  if (connectionString) {
    try {
      const url = new URL(connectionString);
      return [{ host: url.hostname || 'localhost', port: Number(url.port) || 5432 }];
    } catch {
      return [];
    }
  }
  if (settings && typeof settings === 'object') {
    return [{ host: settings.host ?? 'localhost', port: Number(settings.port) || 5432 }];
  }
  return [];
}
