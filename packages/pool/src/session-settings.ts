import type pg from 'pg';
import type { QueryResult } from './pool.js';
import type { DriverConfig, PoolSettings } from './pool-config.js';
import { sendStatement } from './send-statement.js';

/**
 * The session settings of the pool's configuration, by their PostgreSQL names. `statement`:
 * whether it matters to a single statement outside a transaction (an idle-in-transaction
 * timeout does not).
 */
const SESSION_SETTINGS = [
  { name: 'statement_timeout', field: 'statementTimeout', statement: true },
  { name: 'lock_timeout', field: 'lockTimeout', statement: true },
  { name: 'idle_in_transaction_session_timeout', field: 'idleInTransactionSessionTimeout', statement: false },
] as const;

type SessionSettingsConfig = Pick<
  PoolSettings,
  'statementTimeout' | 'lockTimeout' | 'idleInTransactionSessionTimeout'
>;

// How pool-config.ts sends a 0 timeout (node-postgres skips a 0 startup parameter).
const ZERO_OPTIONS = /-c (?:statement_timeout|lock_timeout|idle_in_transaction_session_timeout)=0/g;

/** Startup parameters that carry session settings, which PgBouncer refuses. */
export function isSessionParameter(parameter: string | undefined): boolean {
  return parameter === 'options' || SESSION_SETTINGS.some(({ name }) => name === parameter);
}

/**
 * The driver configuration without session settings as startup parameters, for a connection
 * through PgBouncer (it refuses them, or with `ignore_startup_parameters` drops them).
 * `application_name` stays: PgBouncer passes it on. Options from the URL stay too.
 */
export function withoutSessionParameters(config: DriverConfig): DriverConfig {
  const {
    statement_timeout: _statement,
    lock_timeout: _lock,
    idle_in_transaction_session_timeout: _idle,
    options,
    ...rest
  } = config;
  const remaining = options?.replace(ZERO_OPTIONS, '').replace(/\s+/g, ' ').trim();
  return remaining ? { ...rest, options: remaining } : rest;
}

/** `SET name = value; …` for the configured settings (validated integers: safe to inline). */
function setStatements(config: SessionSettingsConfig, scope: 'SET' | 'SET LOCAL', statement: boolean) {
  const statements = SESSION_SETTINGS.filter((setting) => !statement || setting.statement).flatMap(
    ({ name, field }) => {
      const value = config[field];
      return value === undefined ? [] : [`${scope} ${name} = ${Math.trunc(value)}`];
    },
  );
  return statements.length === 0 ? undefined : { sql: statements.join('; '), count: statements.length };
}

/**
 * The configured session settings as one `SET …; SET …` for a connection through PgBouncer in
 * session mode, where a session SET holds for the client's whole session; undefined when none
 * is configured.
 */
export function sessionSetSql(config: SessionSettingsConfig): string | undefined {
  return setStatements(config, 'SET', false)?.sql;
}

const BEGINS = /^\s*(?:begin|start\s+transaction)\b/i;
// Statements a timeout is for and that may run in a transaction block. Anything else
// (VACUUM, CREATE INDEX CONCURRENTLY, transaction control, …) is sent as it is.
const WRAPPABLE = /^\s*(?:select|insert|update|delete|with|values|table|merge)\b/i;

/**
 * Session settings behind transaction pooling, where a session setting would land on whichever
 * server connection ran it: every transaction the pool runs starts with `SET LOCAL`, and a
 * single statement outside a transaction gets one of its own. The cost: a statement without
 * values carries the `SET LOCAL`s in the same round trip; one with values (the extended
 * protocol allows one statement per message) takes two extra round trips, BEGIN and COMMIT.
 * Hence the README's advice to prefer `ALTER ROLE … SET`, which costs nothing.
 */
export class TransactionSettings {
  readonly #forTransaction: { sql: string; count: number };
  readonly #forStatement: { sql: string; count: number } | undefined;

  private constructor(
    forTransaction: { sql: string; count: number },
    forStatement?: { sql: string; count: number },
  ) {
    this.#forTransaction = forTransaction;
    this.#forStatement = forStatement;
  }

  /** The settings to apply, or undefined when none is configured (then nothing is added). */
  static of(config: SessionSettingsConfig): TransactionSettings | undefined {
    const forTransaction = setStatements(config, 'SET LOCAL', false);
    return (
      forTransaction && new TransactionSettings(forTransaction, setStatements(config, 'SET LOCAL', true))
    );
  }

  /** Sends one statement of the raw path (`query`, a checked-out client) with the settings applied. */
  send<Row>(
    client: pg.Client,
    text: string,
    values: readonly unknown[] | undefined,
    name: string | undefined,
  ): Promise<QueryResult<Row>> {
    const send = () => sendStatement<Row>(client, text, values, name);
    if (client.getTransactionStatus() !== 'I') return send();
    if (BEGINS.test(text)) {
      if (values !== undefined) return this.#afterBegin(client, send);
      // One round trip: BEGIN and the SET LOCALs in one simple-protocol message.
      return (
        client.query(`${text.replace(/;\s*$/, '')}; ${this.#forTransaction.sql}`) as unknown as Promise<
          QueryResult<Row>[]
        >
      ).then((results) => results[0] as QueryResult<Row>);
    }
    const forStatement = this.#forStatement;
    if (forStatement === undefined || !WRAPPABLE.test(text)) return send();
    if (values !== undefined) return this.#inTransaction(client, forStatement.sql, send);
    // Several statements in one simple-protocol message run as one implicit transaction, so
    // the SET LOCALs hold for the statement after them; their own results are dropped.
    return (client.query(`${forStatement.sql}; ${text}`) as unknown as Promise<QueryResult<Row>[]>).then(
      (results) => {
        const own = results.slice(forStatement.count);
        return (own.length === 1 ? own[0] : own) as QueryResult<Row>;
      },
    );
  }

  /** Runs one Knex statement (`run`, whose SQL is `sql`) with the settings applied. */
  around<R>(client: pg.Client, sql: string, run: () => Promise<R>): Promise<R> {
    if (client.getTransactionStatus() !== 'I') return run();
    if (BEGINS.test(sql)) return this.#afterBegin(client, run);
    const forStatement = this.#forStatement;
    if (forStatement === undefined || !WRAPPABLE.test(sql)) return run();
    return this.#inTransaction(client, forStatement.sql, run);
  }

  async #afterBegin<R>(client: pg.Client, begin: () => Promise<R>): Promise<R> {
    const result = await begin();
    await client.query(this.#forTransaction.sql);
    return result;
  }

  async #inTransaction<R>(client: pg.Client, setLocal: string, run: () => Promise<R>): Promise<R> {
    await client.query(`BEGIN; ${setLocal}`);
    let result: R;
    try {
      result = await run();
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    }
    await client.query('COMMIT');
    return result;
  }
}
