import type pg from 'pg';
import type { QueryResult } from './pool.js';
import type { PooledConnection } from './pooled-connection.js';
import { sendStatement } from './send-statement.js';
import { StatementNames } from './statement-names.js';
import type { TransactionPooling } from './transaction-pooling.js';

/** Where a failed statement's error goes: counted, mapped to a typed error, the connection marked if it broke. */
export interface StatementFailures {
  fail(connection: PooledConnection | undefined, error: unknown): unknown;
  /**
   * A named statement met another client's of the same name (42P05), or was gone (26000),
   * because a pooler moved this client to another server connection. It runs again unnamed.
   */
  conflict(connection: PooledConnection, sqlState: string): void;
}

/** How statements are sent, once the pool knows what is in front of the server. */
export interface StatementPolicy {
  /** Run parameterised statements as named prepared statements. */
  named: boolean;
  /** A pooler is in front: a missing statement (26000) means it moved us, not that it went stale. */
  behindPooler: boolean;
  /** Behind transaction pooling: what the pool does differently on every statement. */
  transactionPooling: TransactionPooling | undefined;
}

/**
 * Runs statements on connections already held (pooled for one query, checked out, or
 * ambient). With values, a statement runs as a named prepared statement unless the policy
 * says otherwise (`preparedStatements`, PgBouncer in transaction mode); without, it uses the
 * simple protocol.
 */
export class StatementRunner {
  readonly #names = new StatementNames();
  readonly #failures: StatementFailures;
  #named: boolean;
  #behindPooler = false;
  #pooling: TransactionPooling | undefined;

  constructor(preparedStatements: boolean | undefined, failures: StatementFailures) {
    this.#named = preparedStatements ?? true;
    this.#failures = failures;
  }

  /** Applies what the pool learnt (or was told) about PgBouncer; called before any statement runs. */
  adapt(policy: StatementPolicy): void {
    this.#named = policy.named;
    this.#behindPooler = policy.behindPooler;
    this.#pooling = policy.transactionPooling;
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
    const name = values !== undefined && this.#named ? this.#names.nameFor(text) : undefined;
    return this.#dispatch<Row>(connection.client, text, values, name);
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
   * Handles a rejection of `send`. A named statement can go stale: DDL changed its result
   * type (0A000) or something deallocated it (26000). Outside a transaction it never ran, so
   * it is re-prepared and run once more; inside one, the transaction is lost anyway and the
   * connection is retired. Behind a pooler, a name that already exists (42P05) or is missing
   * (26000) means another client's server connection: reported, and run once more unnamed,
   * and the pool names no more statements. Any other error goes to `fail`.
   */
  async recover<Row>(
    connection: PooledConnection,
    error: unknown,
    text: string,
    values: readonly unknown[] | undefined,
  ): Promise<QueryResult<Row>> {
    const code = (error as { code?: unknown } | null)?.code;
    const conflict = code === '42P05' || (code === '26000' && this.#behindPooler);
    const stale =
      !conflict &&
      (code === '26000' ||
        (code === '0A000' &&
          /cached plan must not change result type/.test(String((error as Error).message))));
    // Only a named statement fails this way; StatementNames answers the same name `send` used.
    const name = (conflict || stale) && values !== undefined ? this.#names.nameFor(text) : undefined;
    if (name === undefined) throw this.#failures.fail(connection, error);
    connection.forgetStatement(name);
    if (conflict) {
      this.#named = false;
      this.#failures.conflict(connection, code as string);
    }
    if (connection.client.getTransactionStatus() !== 'I') {
      if (stale) connection.discard = true;
      throw this.#failures.fail(connection, error);
    }
    try {
      if (code === '0A000') await connection.client.query(`DEALLOCATE "${name}"`);
      return await this.#dispatch<Row>(connection.client, text, values, conflict ? undefined : name);
    } catch (retryError) {
      throw this.#failures.fail(connection, retryError);
    }
  }
}
