import { type ConfigIssue, InvalidConfigError } from '@strata/errors';
import { z } from 'zod';
import type { LongTransactionWarning } from './long-transaction-warning.js';

/** PostgreSQL's isolation levels (read uncommitted behaves as read committed, so it is not offered). */
export type IsolationLevel = 'read committed' | 'repeatable read' | 'serializable';

/** What `onRetry` is told before the transaction runs again. */
export interface RetryInfo {
  /** The attempt that just failed (1 for the first). */
  attempt: number;
  maxAttempts: number;
  /** The typed error that made the attempt fail (`SerializationFailureError` or `DeadlockDetectedError`). */
  error: Error;
  /** How long Strata waits before the next attempt. */
  delayMs: number;
}

/**
 * What the network guard does when code inside a transaction makes an outbound network
 * call: `throw` fails the call and the transaction with `NetworkCallInTransactionError`,
 * `warn` emits a process warning and lets the call through, `off` does nothing.
 */
export type NetworkGuardMode = 'throw' | 'warn' | 'off';

const fn = <T>() => z.custom<T>((value) => typeof value === 'function', 'must be a function');

/** Options of `withTransaction`; every default lives here. */
export const transactionOptionsSchema = z.strictObject({
  /** Omitted: the server's `default_transaction_isolation` (read committed unless changed). */
  isolationLevel: z.enum(['read committed', 'repeatable read', 'serializable']).optional(),
  /** `true` starts the transaction READ ONLY; omitted: the server's default. */
  readOnly: z.boolean().optional(),
  /**
   * Where a pool's transaction runs: `primary` (the default), or for `readOnly` transactions a
   * read replica — `replica` (within `maxReplicaLag`) or `read-your-writes` (one that has
   * replayed the current session's writes) — falling back to the primary like `pool.reader()`.
   */
  on: z.enum(['primary', 'replica', 'read-your-writes']).optional(),
  /** DEFERRABLE: only meaningful (and only accepted) with serializable + readOnly. */
  deferrable: z.boolean().default(false),
  /** Applied with SET LOCAL to `statement_timeout` and `idle_in_transaction_session_timeout`. */
  timeoutMs: z
    .number()
    .int('must be a whole number of milliseconds')
    .positive('must be more than 0')
    .optional(),
  /** How many times the callback may run in all; retries happen on 40001 and 40P01 only. */
  maxAttempts: z.number().int('must be a whole number').min(1, 'must be at least 1').default(3),
  onRetry: fn<(info: RetryInfo) => unknown>().optional(),
  /** Exponential backoff with full jitter between attempts. */
  retryBackoff: z
    .strictObject({
      baseDelayMs: z.number().min(0, 'must be 0 or more').default(10),
      maxDelayMs: z.number().min(0, 'must be 0 or more').default(1_000),
    })
    .default({ baseDelayMs: 10, maxDelayMs: 1_000 }),
  /** Omitted: `throw` when NODE_ENV is `development` or `test`, otherwise `off`. */
  networkGuard: z.enum(['throw', 'warn', 'off']).optional(),
  /** Hosts the guard lets through, as `host` (any port) or `host:port`. The database is always allowed. */
  allowNetworkHosts: z.array(z.string().min(1, 'must not be empty')).default([]),
  /** Warn when a transaction stays open longer than this; 0 turns the warning off. */
  longTransactionWarningMs: z.number().int('must be a whole number of milliseconds').min(0).default(5_000),
  /** Receives the long-transaction warning; defaults to `process.emitWarning`. */
  onLongTransaction: fn<(warning: LongTransactionWarning) => unknown>().optional(),
  /**
   * Record where each transaction is opened (a six-frame stack, a few µs per transaction) so
   * the long-transaction warning and the network guard can name it. Omitted: on when the
   * network guard is on (the default under development and test), off otherwise.
   */
  captureStartSite: z.boolean().optional(),
});

/** Options as a caller writes them. */
export type TransactionOptions = z.input<typeof transactionOptionsSchema>;

/** Options with every default applied. */
export interface ResolvedTransactionOptions
  extends Omit<z.output<typeof transactionOptionsSchema>, 'networkGuard' | 'captureStartSite'> {
  networkGuard: NetworkGuardMode;
  captureStartSite: boolean;
  /** The BEGIN statement these options call for. */
  begin: string;
}

/** The guard's default: on where mistakes should surface (development, tests), off in production. */
export function defaultNetworkGuard(): NetworkGuardMode {
  const environment = process.env.NODE_ENV;
  return environment === 'development' || environment === 'test' ? 'throw' : 'off';
}

let defaults: ResolvedTransactionOptions | undefined;
let environmentGuard: NetworkGuardMode | undefined;

// Reading process.env is slow enough to show on a short transaction: NODE_ENV is read once,
// when the first transaction that relies on the default starts.
const guardFromEnvironment = () => {
  environmentGuard ??= defaultNetworkGuard();
  return environmentGuard;
};

function complete(parsed: z.output<typeof transactionOptionsSchema>): ResolvedTransactionOptions {
  const networkGuard = parsed.networkGuard ?? guardFromEnvironment();
  const captureStartSite = parsed.captureStartSite ?? networkGuard !== 'off';
  const resolved = { ...parsed, networkGuard, captureStartSite, begin: '' };
  resolved.begin = beginStatement(resolved);
  return resolved;
}

/** Validates options and applies defaults; throws InvalidConfigError naming every bad field. */
export function resolveTransactionOptions(
  options: TransactionOptions | undefined,
): ResolvedTransactionOptions {
  if (options === undefined) {
    // The common case, on every transaction's path: resolve the defaults once.
    defaults ??= Object.freeze(complete(transactionOptionsSchema.parse({})));
    return defaults;
  }
  const input = options;
  const parsed = transactionOptionsSchema.safeParse(input);
  const issues: ConfigIssue[] = [];
  for (const issue of parsed.error?.issues ?? []) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) issues.push({ path: key, message: 'is not a withTransaction option' });
    } else {
      issues.push({ path: issue.path.map(String).join('.'), message: issue.message });
    }
  }
  if (input.deferrable === true && !(input.isolationLevel === 'serializable' && input.readOnly === true)) {
    issues.push({
      path: 'deferrable',
      message: "requires isolationLevel 'serializable' and readOnly: true (PostgreSQL ignores it otherwise)",
    });
  }
  if (input.on !== undefined && input.on !== 'primary' && input.readOnly !== true) {
    issues.push({
      path: 'on',
      message: `'${input.on}' requires readOnly: true (writes and read-write transactions always run on the primary)`,
    });
  }
  if (!parsed.success || issues.length > 0) throw new InvalidConfigError('withTransaction options', issues);
  return complete(parsed.data);
}

const ISOLATION_RANK: Record<IsolationLevel, number> = {
  'read committed': 0,
  'repeatable read': 1,
  serializable: 2,
};

/**
 * A nested `withTransaction` is a savepoint of the outermost transaction: it cannot raise the
 * isolation level or change read-only mode. Other options belong to the outermost call.
 */
export function checkSavepointOptions(
  outer: ResolvedTransactionOptions,
  inner: TransactionOptions | undefined,
): void {
  if (!inner) return;
  resolveTransactionOptions(inner);
  const issues: ConfigIssue[] = [];
  const outerLevel = outer.isolationLevel ?? 'read committed';
  if (inner.isolationLevel && ISOLATION_RANK[inner.isolationLevel] > ISOLATION_RANK[outerLevel]) {
    issues.push({
      path: 'isolationLevel',
      message: `a nested withTransaction is a savepoint of a ${outerLevel} transaction and cannot raise it to ${inner.isolationLevel}; set it on the outermost withTransaction`,
    });
  }
  if (inner.readOnly !== undefined && inner.readOnly !== (outer.readOnly ?? false)) {
    issues.push({
      path: 'readOnly',
      message: `a nested withTransaction is a savepoint and cannot change read-only mode (the outer transaction is ${outer.readOnly ? 'read only' : 'read write'})`,
    });
  }
  if (inner.on !== undefined && inner.on !== (outer.on ?? 'primary')) {
    issues.push({
      path: 'on',
      message: `a nested withTransaction is a savepoint and runs where the outer transaction runs (${outer.on ?? 'primary'})`,
    });
  }
  if (issues.length > 0) throw new InvalidConfigError('withTransaction options', issues);
}

/** The BEGIN statement for these options (no user text: every part comes from a fixed set). */
function beginStatement(options: Omit<ResolvedTransactionOptions, 'begin'>): string {
  let sql = 'BEGIN';
  if (options.isolationLevel) sql += ` ISOLATION LEVEL ${options.isolationLevel.toUpperCase()}`;
  if (options.readOnly !== undefined) sql += options.readOnly ? ' READ ONLY' : ' READ WRITE';
  if (options.deferrable) sql += ' DEFERRABLE';
  return sql;
}
