import { StrataError } from '@strata/errors';
import type { Knex } from 'knex';
import type pg from 'pg';
import { ambientConnectionOf, getAmbientConnection } from './ambient-connection.js';
import { type KnexPgClient, type KnexQuery, loadKnex } from './load-knex.js';
import type { Pool } from './pool.js';
import type { CheckedOutClient } from './pool-client.js';
import type { PoolSettings } from './pool-config.js';
import type { KnexOptions } from './pool-knex.js';
import { registerPoolKnex } from './pool-of-knex.js';
import { PooledConnection } from './pooled-connection.js';
import type { StatementRunner } from './statement-runner.js';
import type { StatementTracing } from './statement-tracing.js';

/** What the Knex client needs from the pool. */
export interface KnexConnectionSource {
  readonly pool: Pool;
  readonly settings: PoolSettings;
  /** Checks out a connection, recording where (for leak reports). */
  acquire(stack: Error | undefined): Promise<PooledConnection>;
  release(connection: PooledConnection, destroy: boolean): void;
  /** A statement failed: the typed error to throw (counted, its connection marked if it broke). */
  fail(connection: PooledConnection | undefined, error: unknown): unknown;
  /** Statement spans, when the pool has them. */
  readonly tracing: StatementTracing | undefined;
}

const clientOf = (connection: PooledConnection) => connection.client;

/**
 * Builds the Knex instance of a pool. Its client takes connections from the Strata pool
 * instead of a tarn pool of its own (knex opens none), uses the ambient connection when
 * there is one, sends statements through the pool's `statements` (the one naming decision,
 * name cache and PgBouncer policy raw queries use too), and turns driver errors into
 * Strata's typed errors. Loads knex now, not when the pool is imported; throws
 * `KnexNotInstalledError` when it is not installed.
 */
export function createPoolKnex(
  source: KnexConnectionSource,
  statements: StatementRunner,
  options: KnexOptions | undefined,
): Knex {
  const { leakDetectionThreshold } = source.settings;
  const { knex, PostgresClient: KnexPostgresClient, enrichQueryObject } = loadKnex();

  class StrataKnexClient extends KnexPostgresClient {
    constructor(config: object) {
      super(config);
      (this as unknown as { initializeDriver(): void }).initializeDriver();
    }

    /** Set on a transaction's own client object: where the transaction was started. */
    declare leaseStack: Error | undefined;

    // Not async: Knex awaits the result, so one promise layer (the pool's) is enough.
    acquireConnection(): Promise<pg.Client> {
      const ambient = ambientConnectionOf(source.pool);
      if (ambient) return Promise.resolve(ambient.client);
      // Only transactions hold a connection across user code, so only they are watched for
      // leaks; a plain query releases it itself, and its stack would not reach the caller anyway.
      return source.acquire(this.leaseStack).then(clientOf);
    }

    releaseConnection(client: pg.Client): Promise<void> {
      const connection = PooledConnection.of(client);
      // The ambient connection belongs to whoever made it ambient; only they release it.
      const ambient = getAmbientConnection(source.pool) as CheckedOutClient | undefined;
      // Knex marks a connection disposed when it gave up on a query without cancelling it:
      // the statement may still run, so the connection must not be reused.
      const disposed = Boolean((client as { __knex__disposed?: unknown }).__knex__disposed);
      if (connection && connection !== ambient?.pooled) source.release(connection, disposed);
      return Promise.resolve();
    }

    override query(connection: pg.Client, query: unknown): Promise<unknown> {
      const tracing = source.tracing;
      const tracer = tracing?.tracer();
      if (tracing === undefined || tracer === undefined) return this.sendQuery(connection, query);
      // Knex's compiled SQL, with `?` where the bound values go.
      const text = typeof query === 'string' ? query : String((query as { sql?: unknown }).sql ?? '');
      return tracing.trace(tracer, text, () => this.sendQuery(connection, query));
    }

    // In place of Knex's Client#query, whose catch writes the SQL into the driver error's
    // message: here one catch reports it as Knex does and maps it to a typed error, so the
    // path allocates what Knex's own does. Not #private: Knex runs transactions on
    // Object.create() copies of this client.
    sendQuery(client: pg.Client, query: unknown): Promise<unknown> {
      const obj = enrichQueryObject(client, query, this);
      return statements
        .around(client, obj.sql, () => this._query(client, obj))
        .catch((error: unknown) => {
          // As Knex reports it (compileSqlOnError is off: the text, never the values), then typed.
          if (error instanceof Error) error.message = `${obj.sql} - ${error.message}`;
          const { __knexUid, __knexTxId } = client as { __knexUid?: unknown; __knexTxId?: unknown };
          this.emit('query-error', error, Object.assign({ __knexUid, __knexTxId }, obj));
          throw source.fail(PooledConnection.of(client), error);
        });
    }

    /**
     * Runs one Knex statement. With bindings (and no `.options()`), it runs as a named
     * prepared statement when the pool's statement runner says so, under the same decision
     * and bounded cache as raw queries: Knex compiles the same SQL text for the same builder
     * shape, so each connection parses and plans it once. A stale or conflicting name runs
     * once more as raw queries do. Without bindings it is a simple query, as in Knex.
     */
    _query(client: pg.Client, obj: KnexQuery): Promise<KnexQuery> {
      if (!obj.sql) throw new Error('The query is empty');
      const text = obj.sql;
      const bindings = obj.bindings;
      const options = obj.options;
      const plain = options === undefined || Object.keys(options).length === 0;
      const values = plain && bindings !== undefined && bindings.length > 0 ? bindings : undefined;
      const connection = PooledConnection.of(client);
      const name = connection === undefined ? undefined : statements.nameFor(text, values);
      const config = { name, text, values: bindings ?? [] };
      if (!plain) Object.assign(config, options);
      return new Promise((resolve, reject) => {
        client.query(config, (error: Error | undefined, response: unknown) => {
          if (!error) {
            obj.response = response;
            resolve(obj);
            return;
          }
          const retried =
            name === undefined
              ? undefined
              : statements.retry(connection as PooledConnection, error, text, values);
          if (retried === undefined) return reject(error);
          retried.then((result) => {
            obj.response = result;
            resolve(obj);
          }, reject);
        });
      });
    }

    override transaction(container: unknown, config: object | undefined, outerTx: unknown): unknown {
      if (outerTx || this.transacting) return super.transaction(container, config, outerTx);
      const ambient = ambientConnectionOf(source.pool);
      if (!ambient) {
        if (leakDetectionThreshold === 0) return super.transaction(container, config, outerTx);
        // Knex acquires the connection later, in a promise callback, where the caller's
        // stack is gone; capture it now, on a client object of this transaction's own.
        const starter = Object.create(this) as StrataKnexClient;
        starter.leaseStack = new Error('Connection acquired by a Knex transaction');
        return KnexPostgresClient.prototype.transaction.call(starter, container, config, outerTx);
      }
      // Run on the ambient connection and leave releasing it to its owner; inside an open
      // transaction, nest as a savepoint rather than issuing a second BEGIN.
      const onAmbient = { ...config, connection: ambient.client };
      if (ambient.client.getTransactionStatus() === 'I')
        return super.transaction(container, onAmbient, outerTx);
      const nested = Object.create(this) as KnexPgClient;
      nested.transacting = true;
      return KnexPostgresClient.prototype.transaction.call(nested, container, onAmbient, outerTx);
    }

    cancelQuery(client: pg.Client): Promise<void> {
      const connection = PooledConnection.of(client);
      if (!connection) return Promise.resolve();
      return connection.cancel(source.settings.connectTimeout);
    }

    acquireRawConnection(): never {
      throw new StrataError(
        'KNEX_RAW_CONNECTION',
        'The Strata pool owns all connections; Knex cannot open its own. Use pool.knex as it is.',
      );
    }

    // knex.destroy() must not end connections the pool owns; pool.close() does that.
    destroy(callback?: (error?: unknown) => void): Promise<void> {
      callback?.();
      return Promise.resolve();
    }
  }

  const instance = knex({
    ...(options as object),
    client: StrataKnexClient as unknown as Knex.Config['client'],
    // Put SQL text, never bound values, on driver errors; typed errors carry neither.
    compileSqlOnError: false,
  });
  registerPoolKnex(instance, source.pool);
  return instance;
}
