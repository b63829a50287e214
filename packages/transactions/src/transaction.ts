import { DatabaseError, mapDatabaseError } from '@strata/errors';
import type { QueryResult } from '@strata/pool';
import type { ConnectionSource, Knex, Lease } from './connection-source.js';
import { type KnexClientInternals, knexClientOf } from './knex-client-internals.js';
import {
  matchesAddress,
  type NetworkAddress,
  normalizeHost,
  parseNetworkAddress,
} from './network-address.js';
import type { GuardedTransaction, NetworkCall } from './network-guard.js';
import { attachRollbackError, retryableCause } from './retryable-error.js';
import type { StartSite } from './start-site.js';
import {
  ConcurrentSavepointError,
  NetworkCallInTransactionError,
  TransactionAbortedError,
  TransactionClosedError,
} from './transaction-errors.js';
import {
  checkSavepointOptions,
  type ResolvedTransactionOptions,
  type TransactionOptions,
} from './transaction-options.js';
import { TransactionScope } from './transaction-scope.js';
import { traceSavepoint } from './transaction-tracing.js';

/**
 * What a `withTransaction` callback receives. Pass it explicitly (`tx.query`, `tx.knex`) or
 * rely on the ambient transaction: inside the callback, `pool.query`, `pool.knex` and
 * Objection models bound to it run on the same connection.
 */
export interface Transaction {
  /** Runs one statement on the transaction's connection (`$1` parameters; typed errors). */
  query<Row = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<QueryResult<Row>>;
  /**
   * A Knex instance bound to this transaction's connection, usable even outside the
   * callback's async context (`Model.query(tx.knex)`). `tx.knex.transaction(fn)` nests as a
   * savepoint.
   */
  readonly knex: Knex;
  /** Runs `hook` after the outermost transaction commits; never when it rolls back. */
  afterCommit(hook: () => unknown): void;
  /** Runs `hook` after this work is rolled back (see the README for savepoints). */
  afterRollback(hook: () => unknown): void;
  /** Runs `fn` in a SAVEPOINT: if it throws, only its work is rolled back and the error rethrown. */
  withTransaction<T>(fn: (tx: Transaction) => Promise<T> | T, options?: TransactionOptions): Promise<T>;
  /** Which run of the outermost callback this is: 1, then 2 after a retry, ... */
  readonly attempt: number;
  /** 0 for the outermost transaction, 1 for a savepoint inside it, ... */
  readonly depth: number;
  /** False once the transaction (or savepoint) committed or rolled back. */
  readonly isOpen: boolean;
}

/** A registered afterCommit/afterRollback callback; `order` is its registration order. */
export interface Hook {
  readonly kind: 'commit' | 'rollback';
  readonly order: number;
  readonly run: () => unknown;
}

/** The state of one attempt of an outermost transaction, shared by its savepoints. */
export class TransactionAttempt implements GuardedTransaction {
  readonly source: ConnectionSource;
  readonly lease: Lease;
  readonly options: ResolvedTransactionOptions;
  readonly startSite: StartSite;
  readonly attempt: number;
  /** Open from BEGIN until COMMIT/ROLLBACK was sent; the guard only looks at open attempts. */
  open = true;
  /** The first network call the guard refused; the attempt rolls back with it. */
  violation: NetworkCallInTransactionError | undefined;
  /** A serialization failure or deadlock inside a savepoint: the whole attempt must run again. */
  doomedBy: Error | undefined;
  /** A savepoint could not be rolled back; the transaction cannot continue. */
  brokenBy: unknown;
  /** The connection may be broken or mid-transaction: close it instead of reusing it. */
  destroyConnection = false;
  /** COMMIT failed on a lost connection; whether it committed is unknown, so no hook runs. */
  outcomeUnknown = false;
  /** afterRollback hooks of savepoints that rolled back; they run when the attempt ends. */
  readonly orphanedRollbackHooks: Hook[] = [];
  savepoints = 0;
  hookOrder = 0;
  #allowed: readonly NetworkAddress[] | undefined;
  #warned: Set<string> | undefined;

  constructor(
    source: ConnectionSource,
    lease: Lease,
    options: ResolvedTransactionOptions,
    startSite: StartSite,
    attempt: number,
  ) {
    this.source = source;
    this.lease = lease;
    this.options = options;
    this.startSite = startSite;
    this.attempt = attempt;
  }

  inspectNetworkCall(call: NetworkCall): NetworkCallInTransactionError | undefined {
    const mode = this.options.networkGuard;
    if (!this.open || mode === 'off' || this.#allows(call)) return undefined;
    const error = new NetworkCallInTransactionError({
      ...call,
      transactionSite: this.startSite.site,
      transactionStack: this.startSite.stack,
    });
    if (mode === 'warn') {
      const target = `${normalizeHost(call.host)}:${call.port ?? ''}`;
      this.#warned ??= new Set();
      if (!this.#warned.has(target)) {
        this.#warned.add(target);
        process.emitWarning(error);
      }
      return undefined;
    }
    this.violation ??= error;
    return error;
  }

  #allows(call: NetworkCall): boolean {
    // Only raw sockets can be the database's own connections; fetch and http never are.
    if (
      call.via === 'net' &&
      this.source.databaseAddresses.some((a) => matchesAddress(a, call.host, call.port))
    ) {
      return true;
    }
    this.#allowed ??= this.options.allowNetworkHosts.map(parseNetworkAddress);
    return this.#allowed.some((address) => matchesAddress(address, call.host, call.port));
  }
}

/** The transactions open in each async context. */
export const transactionScope = new TransactionScope<TransactionContext>();

/** A transaction or savepoint as its callback sees it. */
export class TransactionContext implements Transaction {
  readonly attemptState: TransactionAttempt;
  readonly parent: TransactionContext | undefined;
  readonly depth: number;
  state: 'open' | 'closing' | 'committed' | 'rolled back' = 'open';
  readonly commitHooks: Hook[] = [];
  readonly rollbackHooks: Hook[] = [];
  #activeSavepoint: TransactionContext | undefined;
  #knex: Knex | undefined;

  constructor(attemptState: TransactionAttempt, parent: TransactionContext | undefined) {
    this.attemptState = attemptState;
    this.parent = parent;
    this.depth = parent ? parent.depth + 1 : 0;
  }

  get target(): object {
    return this.attemptState.source.target;
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  get attempt(): number {
    return this.attemptState.attempt;
  }

  query<Row = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<QueryResult<Row>> {
    if (this.state !== 'open') return Promise.reject(new TransactionClosedError());
    return this.attemptState.lease.connection.query<Row>(text, values);
  }

  get knex(): Knex {
    this.#knex ??= bindKnex(this);
    return this.#knex;
  }

  afterCommit(hook: () => unknown): void {
    this.#addHook(this.commitHooks, 'commit', hook);
  }

  afterRollback(hook: () => unknown): void {
    this.#addHook(this.rollbackHooks, 'rollback', hook);
  }

  #addHook(hooks: Hook[], kind: Hook['kind'], run: () => unknown): void {
    if (this.state !== 'open') throw new TransactionClosedError();
    if (typeof run !== 'function') throw new TypeError('A transaction hook must be a function.');
    hooks.push({ kind, order: this.attemptState.hookOrder++, run });
  }

  /** Runs `fn` with this transaction ambient: pool/Knex queries and the guard see it. */
  runAmbient<R>(fn: () => R): R {
    return this.attemptState.lease.runAmbient(() => transactionScope.run(this, fn));
  }

  withTransaction<T>(fn: (tx: Transaction) => Promise<T> | T, options?: TransactionOptions): Promise<T> {
    return traceSavepoint(this.attemptState.source, this.depth + 1, () => this.#savepoint(fn, options));
  }

  async #savepoint<T>(fn: (tx: Transaction) => Promise<T> | T, options?: TransactionOptions): Promise<T> {
    if (this.state !== 'open') throw new TransactionClosedError();
    checkSavepointOptions(this.attemptState.options, options);
    if (this.#activeSavepoint) throw new ConcurrentSavepointError();
    const attempt = this.attemptState;
    const connection = attempt.lease.connection;
    const name = `strata_savepoint_${++attempt.savepoints}`;
    const savepoint = new TransactionContext(attempt, this);
    this.#activeSavepoint = savepoint;
    let result: T;
    try {
      await connection.query(`SAVEPOINT ${name}`);
      result = await savepoint.runAmbient(() => fn(savepoint));
      savepoint.state = 'closing';
      await connection.query(`RELEASE SAVEPOINT ${name}`);
    } catch (error) {
      savepoint.state = 'rolled back';
      this.#activeSavepoint = undefined;
      // Its afterCommit hooks are dropped: that work will never commit. Its afterRollback
      // hooks run when the outermost transaction ends.
      attempt.orphanedRollbackHooks.push(...savepoint.rollbackHooks);
      try {
        await connection.query(`ROLLBACK TO SAVEPOINT ${name}; RELEASE SAVEPOINT ${name}`);
      } catch (rollbackError) {
        attachRollbackError(error, rollbackError);
        attempt.brokenBy ??= error;
      }
      // A savepoint cannot be retried alone: the transaction's snapshot is what conflicted.
      attempt.doomedBy ??= retryableCause(error);
      throw abortedOr(error);
    }
    savepoint.state = 'committed';
    this.#activeSavepoint = undefined;
    this.commitHooks.push(...savepoint.commitHooks);
    this.rollbackHooks.push(...savepoint.rollbackHooks);
    return result;
  }
}

// RELEASE fails with 25P02 when a statement inside the savepoint failed and its error was
// caught: say that, rather than "current transaction is aborted".
function abortedOr(error: unknown): unknown {
  const mapped = mapDatabaseError(error);
  if (mapped instanceof DatabaseError && mapped.sqlState === '25P02') {
    return new TransactionAbortedError('savepoint', { cause: mapped });
  }
  return error;
}

/**
 * A Knex instance bound to `tx`: a copy of the source's Knex (`withUserParams`, so nothing
 * on the original changes) whose connections come from `tx`, and whose `transaction()`
 * nests as a savepoint of `tx`.
 */
function bindKnex(tx: TransactionContext): Knex {
  const source = tx.attemptState.source.knex;
  const bound = source.withUserParams({ ...(source.userParams ?? {}) });
  const client = knexClientOf(bound);
  const { acquireConnection, releaseConnection } = client;
  client.acquireConnection = function (this: KnexClientInternals) {
    if (!tx.isOpen) return Promise.reject(new TransactionClosedError());
    return tx.runAmbient(() => acquireConnection.call(this));
  };
  client.releaseConnection = function (this: KnexClientInternals, connection) {
    return tx.runAmbient(() => releaseConnection.call(this, connection));
  };
  Object.defineProperty(bound, 'transaction', {
    configurable: true,
    value: (handler: unknown) => {
      if (typeof handler !== 'function') {
        throw new TypeError(
          'tx.knex.transaction() needs a callback: it runs as a savepoint of the Strata transaction. Use tx.withTransaction() for more control.',
        );
      }
      return tx.withTransaction((inner) => handler(inner.knex));
    },
  });
  return bound;
}
