import { ConnectionError, mapDatabaseError, StrataError } from '@strata/errors';
import { type Pool, poolOfKnex } from '@strata/pool';
import { type ConnectionSource, type Knex, knexSource, poolSource, RAW } from './connection-source.js';
import type { PgConnection } from './knex-client-internals.js';
import { watchTransactionDuration } from './long-transaction-warning.js';
import { installNetworkGuard } from './network-guard.js';
import { retryDelayMs } from './retry-delay.js';
import { attachRollbackError, retryableCause } from './retryable-error.js';
import { StartSite } from './start-site.js';
import {
  type Hook,
  type Transaction,
  TransactionAttempt,
  TransactionContext,
  transactionScope,
} from './transaction.js';
import {
  AfterCommitHookError,
  NoTransactionError,
  TransactionAbortedError,
  TransactionRetriesExhaustedError,
} from './transaction-errors.js';
import {
  type ResolvedTransactionOptions,
  resolveTransactionOptions,
  type TransactionOptions,
} from './transaction-options.js';
import { type TransactionSpans, traceTransaction, transactionTracer } from './transaction-tracing.js';

/** What a transaction can run on: a Strata pool, a Knex instance (pg), or an open transaction (a savepoint). */
export type TransactionTarget = Pool | Knex | Transaction;

/** The callback of `withTransaction`. It may run more than once (see "Retries"), so it must be idempotent. */
export type TransactionCallback<T> = (tx: Transaction) => Promise<T> | T;

const SET_TIMEOUTS =
  "SELECT set_config('statement_timeout', $1, true), set_config('idle_in_transaction_session_timeout', $1, true)";

/**
 * Runs `fn` in a transaction on `target` and returns what it returns: COMMIT when it
 * resolves, ROLLBACK when it throws (the original error is rethrown; a failed ROLLBACK is
 * attached as `rollbackError`). On a serialization failure or deadlock the whole callback
 * runs again, with backoff, up to `maxAttempts`. Inside an open transaction on the same
 * target (or given a `Transaction`), it runs as a SAVEPOINT instead. Without a target,
 * `withTransaction(fn)` makes a savepoint in the transaction open in the current context.
 */
export function withTransaction<T>(
  target: TransactionTarget,
  fn: TransactionCallback<T>,
  options?: TransactionOptions,
): Promise<T>;
export function withTransaction<T>(fn: TransactionCallback<T>, options?: TransactionOptions): Promise<T>;
export function withTransaction<T>(
  targetOrFn: TransactionTarget | TransactionCallback<T>,
  fnOrOptions?: TransactionCallback<T> | TransactionOptions,
  maybeOptions?: TransactionOptions,
): Promise<T> {
  // Not an async function: every promise costs while AsyncLocalStorage is active, and this
  // is on the path of every transaction. Synchronous failures still arrive as rejections.
  try {
    if (typeof targetOrFn === 'function' && !isKnex(targetOrFn)) {
      const current = transactionScope.current();
      if (!current) throw new NoTransactionError();
      return current.withTransaction(targetOrFn as TransactionCallback<T>, fnOrOptions as TransactionOptions);
    }
    return start(
      targetOrFn as TransactionTarget,
      fnOrOptions as TransactionCallback<T>,
      maybeOptions,
      undefined,
      withTransaction,
    );
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Binds `withTransaction` to a target and default options, e.g. one per pool:
 * `const transaction = createWithTransaction(pool, { isolationLevel: 'serializable' })`.
 * Per-call options override the defaults. Invalid defaults throw here, not at first use.
 */
export function createWithTransaction(
  target: TransactionTarget,
  defaults: TransactionOptions = {},
): <T>(fn: TransactionCallback<T>, options?: TransactionOptions) => Promise<T> {
  const resolvedDefaults = resolveTransactionOptions(defaults);
  sourceFor(target);
  const boundWithTransaction = <T>(fn: TransactionCallback<T>, options?: TransactionOptions): Promise<T> => {
    try {
      return start(
        target,
        fn,
        options === undefined ? defaults : { ...defaults, ...options },
        options === undefined ? resolvedDefaults : undefined,
        boundWithTransaction,
      );
    } catch (error) {
      return Promise.reject(error);
    }
  };
  return boundWithTransaction;
}

/**
 * The transaction open in the current async context on `target` (or on any target), or
 * undefined. Repositories use it to join the caller's transaction.
 */
export function currentTransaction(target?: TransactionTarget): Transaction | undefined {
  if (target instanceof TransactionContext) return target.isOpen ? target : undefined;
  return transactionScope.current(target === undefined ? undefined : sourceFor(target).target);
}

/**
 * Starts a transaction, or a savepoint when one is open on the target. Throws synchronously
 * on bad input. Runs synchronously inside the public `entry`, so the start site (when
 * captured) begins at its caller.
 */
function start<T>(
  target: TransactionTarget,
  fn: TransactionCallback<T>,
  options: TransactionOptions | undefined,
  resolved: ResolvedTransactionOptions | undefined,
  // biome-ignore lint/complexity/noBannedTypes: Error.captureStackTrace takes any function.
  entry: Function,
): Promise<T> {
  if (typeof fn !== 'function') throw new TypeError('withTransaction needs a callback function.');
  if (target instanceof TransactionContext) return target.withTransaction(fn, options);
  const source = sourceFor(target);
  const current = transactionScope.current(source.target);
  if (current) return current.withTransaction(fn, options);
  const resolvedOptions = resolved ?? resolveTransactionOptions(options);
  const startSite = resolvedOptions.captureStartSite ? new StartSite(entry) : StartSite.unrecorded;
  const tracer = transactionTracer(source);
  if (tracer === undefined) return runTransaction(source, fn, resolvedOptions, startSite, undefined);
  return traceTransaction(tracer, source, resolvedOptions, (spans) =>
    runTransaction(source, fn, resolvedOptions, startSite, spans),
  );
}

/** The connection source for a pool or Knex instance. */
export function sourceFor(target: TransactionTarget): ConnectionSource {
  if (isKnex(target)) {
    // A pool's own Knex is the pool: its transaction makes pool.query ambient too.
    const pool = poolOfKnex(target);
    return pool ? poolSource(pool) : knexSource(target, currentKnexConnection);
  }
  if (isPool(target)) return poolSource(target);
  if (target instanceof TransactionContext) return target.attemptState.source;
  throw new TypeError('Expected a Strata pool (createPool), a Knex instance, or a Transaction.');
}

function currentKnexConnection(target: object): PgConnection | undefined {
  const lease = transactionScope.current(target)?.attemptState.lease as { [RAW]?: PgConnection } | undefined;
  return lease?.[RAW];
}

function isKnex(value: unknown): value is Knex {
  return (
    typeof value === 'function' && 'client' in value && typeof (value as Knex).transaction === 'function'
  );
}

function isPool(value: unknown): value is Pool {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Pool).connect === 'function' &&
    typeof (value as Pool).query === 'function' &&
    'knex' in value
  );
}

type AttemptOutcome<T> = { committed: true; value: T } | { committed: false; error: unknown };

/** The outermost transaction: attempts, retries, hooks. `spans` when it is traced. */
async function runTransaction<T>(
  source: ConnectionSource,
  fn: TransactionCallback<T>,
  options: ResolvedTransactionOptions,
  startSite: StartSite,
  spans: TransactionSpans | undefined,
): Promise<T> {
  if (options.networkGuard !== 'off') installNetworkGuard(guardedTransaction);
  // The long-transaction warning reports a long hold (sooner, and with the start site when
  // captured), so the pool's leak detection need not capture a stack for it as well.
  const leakDetection = options.longTransactionWarningMs === 0;
  for (let attempt = 1; ; attempt++) {
    const { tx, state, outcome } = await (spans === undefined
      ? attemptOnConnection(source, fn, options, startSite, attempt, leakDetection)
      : spans.attempt(attempt, () =>
          attemptOnConnection(source, fn, options, startSite, attempt, leakDetection),
        ));

    if (outcome.committed) {
      // Hooks run in the order they were registered; a rolled-back savepoint's afterRollback
      // hooks run too, since that part of the work never committed.
      if (tx.commitHooks.length === 0 && state.orphanedRollbackHooks.length === 0) return outcome.value;
      const hooks = [...tx.commitHooks, ...state.orphanedRollbackHooks].sort(byOrder);
      const { commitErrors, rollbackErrors } = await runHooks(hooks);
      warnAboutRollbackHooks(rollbackErrors);
      if (commitErrors.length > 0) throw new AfterCommitHookError(commitErrors, outcome.value);
      return outcome.value;
    }

    if (!state.outcomeUnknown) {
      const hooks = [...tx.rollbackHooks, ...state.orphanedRollbackHooks].sort(byOrder);
      warnAboutRollbackHooks((await runHooks(hooks)).rollbackErrors);
    }
    const error = outcome.error;
    const retryable = state.violation ? undefined : retryableCause(error);
    if (!retryable) throw error;
    if (attempt >= options.maxAttempts) throw new TransactionRetriesExhaustedError(attempt, retryable);
    const delayMs = retryDelayMs(attempt, options.retryBackoff);
    const retry = { attempt, maxAttempts: options.maxAttempts, error: retryable, delayMs };
    spans?.retry(retry);
    await options.onRetry?.(retry);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
}

/** One attempt: a connection, BEGIN ... COMMIT (or ROLLBACK), and the connection given back. */
async function attemptOnConnection<T>(
  source: ConnectionSource,
  fn: TransactionCallback<T>,
  options: ResolvedTransactionOptions,
  startSite: StartSite,
  attempt: number,
  leakDetection: boolean,
): Promise<{ tx: TransactionContext; state: TransactionAttempt; outcome: AttemptOutcome<T> }> {
  const lease = await source.acquire(options.on, leakDetection);
  const state = new TransactionAttempt(source, lease, options, startSite, attempt);
  const tx = new TransactionContext(state, undefined);
  const stopWatching = watchTransactionDuration(
    options.longTransactionWarningMs,
    startSite,
    options.onLongTransaction,
  );
  try {
    return { tx, state, outcome: await runAttempt(tx, fn) };
  } finally {
    stopWatching();
    state.open = false;
    // Released before any hook runs: hooks may be slow (that is why they exist).
    const released = lease.release(state.destroyConnection);
    if (released) await released;
  }
}

async function runAttempt<T>(tx: TransactionContext, fn: TransactionCallback<T>): Promise<AttemptOutcome<T>> {
  const state = tx.attemptState;
  const connection = state.lease.connection;
  let value: T;
  try {
    await connection.query(state.options.begin);
    if (state.options.timeoutMs !== undefined) {
      await connection.query(SET_TIMEOUTS, [String(state.options.timeoutMs)]);
    }
    value = await tx.runAmbient(() => fn(tx));
    const poisoned = state.violation ?? state.brokenBy ?? state.doomedBy;
    if (poisoned) throw poisoned;
  } catch (error) {
    tx.state = 'rolled back';
    await rollBack(state, error);
    return { committed: false, error: state.violation ?? error };
  }

  tx.state = 'closing';
  let committed: { command: string };
  try {
    committed = await connection.query('COMMIT');
  } catch (error) {
    tx.state = 'rolled back';
    const mapped = mapDatabaseError(error);
    if (mapped instanceof ConnectionError) {
      state.destroyConnection = true;
      state.outcomeUnknown = true;
    }
    return { committed: false, error: mapped };
  }
  // COMMIT of a transaction in which a statement failed answers ROLLBACK, not an error.
  if (committed.command === 'ROLLBACK') {
    tx.state = 'rolled back';
    return { committed: false, error: new TransactionAbortedError() };
  }
  tx.state = 'committed';
  return { committed: true, value };
}

async function rollBack(state: TransactionAttempt, error: unknown): Promise<void> {
  state.open = false;
  if (mapDatabaseError(error) instanceof ConnectionError) {
    state.destroyConnection = true; // Closing the session rolls the transaction back.
    return;
  }
  try {
    await state.lease.connection.query('ROLLBACK');
  } catch (rollbackError) {
    attachRollbackError(error, rollbackError);
    state.destroyConnection = true;
  }
}

const byOrder = (a: Hook, b: Hook) => a.order - b.order;

async function runHooks(
  hooks: readonly Hook[],
): Promise<{ commitErrors: unknown[]; rollbackErrors: unknown[] }> {
  const commitErrors: unknown[] = [];
  const rollbackErrors: unknown[] = [];
  for (const hook of hooks) {
    try {
      await hook.run();
    } catch (error) {
      (hook.kind === 'commit' ? commitErrors : rollbackErrors).push(error);
    }
  }
  return { commitErrors, rollbackErrors };
}

// A failing afterRollback hook must not replace the error the caller is about to get.
function warnAboutRollbackHooks(errors: readonly unknown[]): void {
  for (const error of errors) {
    const warning =
      error instanceof Error ? error : new StrataError('AFTER_ROLLBACK_HOOK_FAILED', String(error));
    process.emitWarning(warning, { type: 'AfterRollbackHookWarning', code: 'AFTER_ROLLBACK_HOOK_FAILED' });
  }
}

function guardedTransaction(): TransactionAttempt | undefined {
  for (const tx of transactionScope.open()) {
    const state = tx.attemptState;
    if (state.open && state.options.networkGuard !== 'off') return state;
  }
  return undefined;
}
