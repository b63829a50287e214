import type { EventEmitter } from 'node:events';
import type pg from 'pg';
import type { PgBouncerPoolMode } from './pgbouncer-mode.js';
import type { PoolEvents, QueryResult } from './pool.js';
import type { PoolSettings } from './pool-config.js';
import type { PooledConnection } from './pooled-connection.js';
import { sendStatement } from './send-statement.js';
import { TransactionSettings } from './session-settings.js';
import { StatementNames } from './statement-names.js';
import { TransactionPooling } from './transaction-pooling.js';

/**
 * Where a failed statement's error goes (counted, mapped to a typed error, the connection
 * marked if it broke), and where a prepared-statement conflict is reported.
 */
export interface StatementFailures extends Pick<EventEmitter<PoolEvents>, 'emit' | 'listenerCount'> {
  fail(connection: PooledConnection | undefined, error: unknown): unknown;
}

/**
 * Runs statements on connections already held (pooled for one query, checked out, or
 * ambient). With values, a statement runs as a named prepared statement unless the policy
 * says otherwise (`preparedStatements`, PgBouncer in transaction mode); without, it uses the
 * simple protocol.
 */
export class StatementRunner {
  readonly #names = new StatementNames();
  readonly #settings: PoolSettings;
  readonly #failures: StatementFailures;
  #named: boolean;
  /** A pooler is in front: a missing statement (26000) means it moved us, not that it went stale. */
  #behindPooler = false;
  /** Behind transaction pooling: what the pool does differently on every statement. */
  #pooling: TransactionPooling | undefined;
  #conflicts = 0;

  constructor(settings: PoolSettings, failures: StatementFailures) {
    this.#settings = settings;
    this.#named = settings.preparedStatements ?? true;
    this.#failures = failures;
  }

  /** Named statements that met another client's behind a pooler (`stats().preparedStatementConflicts`). */
  get conflicts(): number {
    return this.#conflicts;
  }

  /**
   * Adapts to what is in front of the server (PgBouncer's pool mode, or `false`), before any
   * statement runs: behind transaction pooling, statements run unnamed unless
   * `preparedStatements` is true, and `TransactionPooling` takes over sending them.
   */
  adapt(mode: PgBouncerPoolMode | false): void {
    this.#named = this.#settings.preparedStatements ?? mode !== 'transaction';
    this.#behindPooler = mode !== false;
    this.#pooling =
      mode === 'transaction' ? new TransactionPooling(TransactionSettings.of(this.#settings)) : undefined;
  }

  /**
   * Sends one statement. Not async on purpose: callers await the driver's promise directly,
   * so the hot path gets no promise layer of its own; they hand a rejection to `recover`.
   */
  send<Row>(
    connection: PooledConnection,
    text: string,
    values: readonly unknown[] | undefined,
  ): Promise<QueryResult<Row>> {
    return this.#dispatch<Row>(connection.client, text, values, this.nameFor(text, values));
  }

  /**
   * The one place that decides whether a statement runs as a named prepared statement, for
   * raw queries and Knex alike: with values, while the policy names statements
   * (`preparedStatements`, PgBouncer's pool mode, no conflict met) and the bounded name cache
   * has room. Undefined: run it unnamed.
   */
  nameFor(text: string, values: readonly unknown[] | undefined): string | undefined {
    return values !== undefined && this.#named ? this.#names.nameFor(text) : undefined;
  }

  /**
   * Runs one statement on a connection someone holds (checked out, ambient). Statements sent
   * concurrently on it run one after another here, not in node-postgres' deprecated queue.
   */
  async sendHeld<Row>(
    connection: PooledConnection,
    text: string,
    values: readonly unknown[] | undefined,
  ): Promise<QueryResult<Row>> {
    // The usual statement finds the connection free and allocates nothing for the turn-taking.
    if (connection.busy) await connection.waitTurn();
    connection.busy = true;
    try {
      return await this.send<Row>(connection, text, values);
    } catch (error) {
      return await this.recover<Row>(connection, error, text, values);
    } finally {
      connection.passTurn();
    }
  }

  /** Runs one Knex statement (`run`, whose SQL is `sql`) on `client`, as the policy says. */
  around<R>(client: pg.Client, sql: string, run: () => Promise<R>): Promise<R> {
    return this.#pooling === undefined ? run() : this.#pooling.around(client, sql, run);
  }

  #dispatch<Row>(
    client: pg.Client,
    text: string,
    values: readonly unknown[] | undefined,
    name: string | undefined,
  ): Promise<QueryResult<Row>> {
    if (this.#pooling !== undefined) return this.#pooling.send<Row>(client, text, values, name);
    return sendStatement<Row>(client, text, values, name);
  }

  /**
   * Handles a rejection of `send`: a statement that can run again does (see `retry`); any
   * other error, or a failed retry, goes to `fail`.
   */
  async recover<Row>(
    connection: PooledConnection,
    error: unknown,
    text: string,
    values: readonly unknown[] | undefined,
  ): Promise<QueryResult<Row>> {
    const retried = this.retry<Row>(connection, error, text, values);
    if (retried === undefined) throw this.#failures.fail(connection, error);
    try {
      return await retried;
    } catch (retryError) {
      throw this.#failures.fail(connection, retryError);
    }
  }

  /**
   * For a rejected named statement (raw or Knex), the same statement run once more, or
   * undefined when the error stands. A named statement can go stale: DDL changed its result
   * type (0A000) or something deallocated it (26000). Outside a transaction it never ran, so
   * it is prepared again and run once more; inside one, the transaction is lost anyway and the
   * connection is retired. Behind a pooler, a name that already exists (42P05) or is missing
   * (26000) means another client's server connection: reported, and run once more unnamed,
   * and the pool names no more statements.
   */
  retry<Row>(
    connection: PooledConnection,
    error: unknown,
    text: string,
    values: readonly unknown[] | undefined,
  ): Promise<QueryResult<Row>> | undefined {
    const code = (error as { code?: unknown } | null)?.code;
    const conflict = code === '42P05' || (code === '26000' && this.#behindPooler);
    const stale =
      !conflict &&
      (code === '26000' ||
        (code === '0A000' &&
          /cached plan must not change result type/.test(String((error as Error).message))));
    // Only a named statement fails this way; StatementNames answers the same name `send` used.
    const name = (conflict || stale) && values !== undefined ? this.#names.nameFor(text) : undefined;
    if (name === undefined) return undefined;
    connection.forgetStatement(name);
    if (conflict) this.#conflict(connection, code as string);
    if (connection.client.getTransactionStatus() !== 'I') {
      if (stale) connection.discard = true;
      return undefined;
    }
    return this.#runAgain<Row>(
      connection.client,
      code === '0A000' ? name : undefined,
      text,
      values,
      conflict ? undefined : name,
    );
  }

  async #runAgain<Row>(
    client: pg.Client,
    deallocate: string | undefined,
    text: string,
    values: readonly unknown[] | undefined,
    name: string | undefined,
  ): Promise<QueryResult<Row>> {
    if (deallocate !== undefined) await client.query(`DEALLOCATE "${deallocate}"`);
    return this.#dispatch<Row>(client, text, values, name);
  }

  /** Names met another client's: reported (and said once when nobody listens); no more names. */
  #conflict(connection: PooledConnection, sqlState: string): void {
    this.#named = false;
    this.#conflicts += 1;
    if (this.#conflicts === 1 && this.#failures.listenerCount('prepared-statement-conflict') === 0) {
      console.warn(
        `strata pool: a named prepared statement met another client's on a PgBouncer server connection (SQLSTATE ${sqlState}); ` +
          "it ran again unnamed, and the pool names no more statements. Leave preparedStatements unset and pgbouncer at 'auto' (or 'transaction').",
      );
    }
    this.#failures.emit('prepared-statement-conflict', { connectionId: connection.id, sqlState });
  }
}
