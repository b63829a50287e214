import type { QueryResult } from './pool.js';
import type { PooledConnection } from './pooled-connection.js';
import { StatementNames } from './statement-names.js';

/** Where a failed statement's error goes: counted, mapped to a typed error, the connection marked if it broke. */
export interface StatementFailures {
  fail(connection: PooledConnection | undefined, error: unknown): unknown;
}

/**
 * Runs statements on connections already held (pooled for one query, checked out, or
 * ambient). With values, a statement runs as a named prepared statement unless
 * `preparedStatements` is off; without, it uses the simple protocol.
 */
export class StatementRunner {
  readonly #names = new StatementNames();
  readonly #prepared: boolean;
  readonly #failures: StatementFailures;

  constructor(preparedStatements: boolean, failures: StatementFailures) {
    this.#prepared = preparedStatements;
    this.#failures = failures;
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
    const name = this.nameFor(text, values);
    return connection.client.query(
      values === undefined ? text : { name, text, values: values as unknown[] },
    ) as unknown as Promise<QueryResult<Row>>;
  }

  /**
   * Handles a rejection of `send`. A named statement can go stale (see `retryStale`); any
   * other error, or a failed retry, goes to `fail`.
   */
  async recover<Row>(
    connection: PooledConnection,
    error: unknown,
    text: string,
    values: readonly unknown[] | undefined,
  ): Promise<QueryResult<Row>> {
    const retried = this.retryStale<Row>(connection, error, text, values);
    if (retried === undefined) throw this.#failures.fail(connection, error);
    try {
      return await retried;
    } catch (retryError) {
      throw this.#failures.fail(connection, retryError);
    }
  }

  /**
   * For a rejected named statement that went stale — DDL changed its result type (0A000) or
   * something deallocated it (26000): outside a transaction it never ran, so it is prepared
   * again and run once more; inside one, the transaction is lost anyway and the connection
   * is retired (undefined). Undefined too for any other error: it stands.
   */
  retryStale<Row>(
    connection: PooledConnection,
    error: unknown,
    text: string,
    values: readonly unknown[] | undefined,
  ): Promise<QueryResult<Row>> | undefined {
    // The name the statement was sent with: the decision is the same for a text every time.
    const name = this.nameFor(text, values);
    const code = (error as { code?: unknown } | null)?.code;
    const stale =
      name !== undefined &&
      (code === '26000' ||
        (code === '0A000' &&
          /cached plan must not change result type/.test(String((error as Error).message))));
    if (!stale) return undefined;
    if (connection.client.getTransactionStatus() !== 'I') {
      connection.discard = true;
      return undefined;
    }
    return this.#prepareAgain<Row>(connection, code === '0A000', name, text, values);
  }

  async #prepareAgain<Row>(
    connection: PooledConnection,
    deallocate: boolean,
    name: string,
    text: string,
    values: readonly unknown[] | undefined,
  ): Promise<QueryResult<Row>> {
    if (deallocate) await connection.client.query(`DEALLOCATE "${name}"`);
    connection.forgetStatement(name);
    return (await connection.client.query({
      name,
      text,
      values: values as unknown[],
    })) as unknown as QueryResult<Row>;
  }

  /**
   * The one place that decides whether a statement runs as a named prepared statement, for
   * raw queries and Knex alike: with values, unless `preparedStatements` is off or the
   * bounded name cache is full. Undefined: run it unnamed.
   */
  nameFor(text: string, values: readonly unknown[] | undefined): string | undefined {
    return values !== undefined && this.#prepared ? this.#names.nameFor(text) : undefined;
  }
}
