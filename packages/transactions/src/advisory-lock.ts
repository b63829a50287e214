import { InvalidConfigError, SessionFeatureUnsupportedError } from '@strata/errors';
import type { Queryable } from './connection-source.js';
import type { Transaction } from './transaction.js';
import { AdvisoryLockUnavailableError } from './transaction-errors.js';
import {
  currentTransaction,
  sourceFor,
  type TransactionTarget,
  withTransaction,
} from './with-transaction.js';

/**
 * An advisory lock key: a 64-bit integer (`number` or `bigint`), a pair of 32-bit
 * integers, or a string (hashed to 64 bits with PostgreSQL's `hashtextextended`).
 */
export type AdvisoryLockKey = number | bigint | string | readonly [number, number];

export interface AdvisoryLockOptions {
  /** `wait` (default) queues for the lock; `try` fails at once with AdvisoryLockUnavailableError. */
  mode?: 'wait' | 'try';
  /**
   * `transaction` (default): held until the transaction ends (one is opened when none is);
   * `session`: held on a connection of its own until `fn` settles.
   */
  scope?: 'transaction' | 'session';
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

interface KeySql {
  args: string;
  values: string[];
  label: string;
}

function keySql(key: AdvisoryLockKey): KeySql {
  if (typeof key === 'string')
    return { args: 'hashtextextended($1, 0)', values: [key], label: JSON.stringify(key) };
  if (Array.isArray(key)) {
    const [a, b] = key as readonly [number, number];
    if (key.length === 2 && [a, b].every((n) => Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX)) {
      return { args: '$1::int4, $2::int4', values: [String(a), String(b)], label: `(${a}, ${b})` };
    }
  } else if (typeof key === 'bigint' || (typeof key === 'number' && Number.isSafeInteger(key))) {
    const value = BigInt(key);
    if (value >= INT64_MIN && value <= INT64_MAX) {
      return { args: '$1::int8', values: [value.toString()], label: value.toString() };
    }
  }
  throw new InvalidConfigError('withAdvisoryLock', [
    {
      path: 'key',
      message: 'must be a string, a safe integer or bigint within 64 bits, or a pair of 32-bit integers',
    },
  ]);
}

function checkOptions(options: AdvisoryLockOptions): Required<AdvisoryLockOptions> {
  const { mode = 'wait', scope = 'transaction' } = options;
  const issues = [];
  if (mode !== 'wait' && mode !== 'try') issues.push({ path: 'mode', message: "must be 'wait' or 'try'" });
  if (scope !== 'transaction' && scope !== 'session') {
    issues.push({ path: 'scope', message: "must be 'transaction' or 'session'" });
  }
  if (issues.length > 0) throw new InvalidConfigError('withAdvisoryLock', issues);
  return { mode, scope };
}

/**
 * Runs `fn` while holding a PostgreSQL advisory lock on `key`, so that only one caller
 * across all processes runs it at a time (jobs, migrations, per-account work).
 *
 * With `scope: 'transaction'` the lock is taken with `pg_advisory_xact_lock` in the
 * transaction open on `target` (or in a new one, which `fn` receives) and released when that
 * transaction ends. With `scope: 'session'` it is taken with `pg_advisory_lock` on a
 * connection of its own and released with `pg_advisory_unlock` when `fn` settles; outside a
 * transaction, `fn`'s pool queries run on that connection. `mode: 'try'` rejects with
 * `AdvisoryLockUnavailableError` instead of waiting. Waiting is bounded by `lock_timeout`.
 * Behind PgBouncer in transaction mode, `scope: 'session'` rejects with
 * `SessionFeatureUnsupportedError`: a session lock cannot work there.
 */
export async function withAdvisoryLock<T>(
  target: TransactionTarget,
  key: AdvisoryLockKey,
  fn: (db: Queryable) => Promise<T> | T,
  options: AdvisoryLockOptions = {},
): Promise<T> {
  const { mode, scope } = checkOptions(options);
  const sql = keySql(key);
  const lock = `pg_${mode === 'try' ? 'try_' : ''}advisory_${scope === 'transaction' ? 'xact_' : ''}lock(${sql.args})`;

  if (scope === 'transaction') {
    const locked = async (tx: Transaction) => {
      const result = await tx.query<{ acquired: boolean | string }>(`SELECT ${lock} AS acquired`, sql.values);
      if (mode === 'try' && result.rows[0]?.acquired !== true)
        throw new AdvisoryLockUnavailableError(sql.label);
      return fn(tx);
    };
    const open = currentTransaction(target);
    return open ? locked(open) : withTransaction(target, locked);
  }

  const source = sourceFor(target);
  // A connection of its own: if the lock sat on a transaction's connection, an aborted
  // transaction could not run pg_advisory_unlock and the lock would outlive `fn`.
  const lease = await source.acquireOwn();
  let destroy = false;
  try {
    // Through transaction pooling the lock would stay on a server connection other clients get.
    if (source.behindTransactionPooling()) throw new SessionFeatureUnsupportedError('session advisory lock');
    const result = await lease.connection.query<{ acquired: boolean | string }>(
      `SELECT ${lock} AS acquired`,
      sql.values,
    );
    if (mode === 'try' && result.rows[0]?.acquired !== true)
      throw new AdvisoryLockUnavailableError(sql.label);
    try {
      const inTransaction = currentTransaction(target);
      return inTransaction ? await fn(inTransaction) : await lease.runAmbient(() => fn(lease.connection));
    } finally {
      try {
        await lease.connection.query(`SELECT pg_advisory_unlock(${sql.args})`, sql.values);
      } catch {
        destroy = true; // Closing the session is what releases the lock now.
      }
    }
  } finally {
    await lease.release(destroy);
  }
}
