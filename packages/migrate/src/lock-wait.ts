import { setTimeout as sleep } from 'node:timers/promises';
import { type BlockingSession, blockingSessions } from './blocking-sessions.js';
import { LockWaitTimeoutError } from './migration-errors.js';
import type { Queryable } from './migration-history.js';
import type { StatementLock } from './statement-locks.js';
import { lockModeSql } from './table-lock-mode.js';

/** How a migration waits for its table locks; from the migrator options (see `TIMEOUT_DEFAULTS`). */
export interface LockWaitPolicy {
  /** lock_timeout of the first attempt: the longest other sessions queue behind the migration. */
  lockTimeout: number;
  /** lock_timeout doubles after each timed-out attempt, up to this. */
  maxLockTimeout: number;
  /** Pause after a timed-out attempt; doubles each time (with jitter) up to `lockRetryMaxDelay`. */
  lockRetryDelay: number;
  lockRetryMaxDelay: number;
  /** At most this many retries; undefined: as many as `maxLockWait` allows. */
  lockRetries: number | undefined;
  /** All the waiting (for blockers to finish, and in attempts) ends here in LockWaitTimeoutError. */
  maxLockWait: number;
  /** How often pg_locks is read while blockers hold their locks. */
  lockPollInterval: number;
}

/** One try at taking the locks: its number and the lock_timeout to set for it (0: none). */
export interface LockAttempt {
  attempt: number;
  lockTimeout: number;
}

export interface LockWaitHooks {
  /** Blockers were found (or changed) while waiting; `waitedMs` since the wait began. */
  onBlocked: (blockers: BlockingSession[], waitedMs: number) => void;
  /** An attempt hit lock_timeout; the next starts after `delayMs` with lock_timeout `lockTimeout`. */
  onRetry: (retry: { attempt: number; delayMs: number; lockTimeout: number; error: unknown }) => void;
  /** Whether an error thrown by an attempt is a lock timeout (SQLSTATE 55P03). */
  isLockTimeout: (error: unknown) => boolean;
  /** The statement line an attempt's error points at, for the final error. */
  lineOf?: (error: unknown) => number | undefined;
}

const jittered = (milliseconds: number): number =>
  Math.round(milliseconds / 2 + (Math.random() * milliseconds) / 2);

const lockNames = (locks: readonly StatementLock[]): string[] => [
  ...new Set(locks.map((lock) => `${lockModeSql(lock.mode)} on ${lock.relation}`)),
];

/**
 * Runs `work` — statements that take `locks` — without letting it stall other traffic:
 *
 * 1. Before each attempt, while another session holds a conflicting lock on one of those
 *    tables in a transaction older than the first attempt's lock_timeout, or is queued for
 *    one, it waits (reading pg_locks every `lockPollInterval`) instead of queueing: a
 *    request in the lock queue would make every later reader and writer of the table queue
 *    behind it. `onBlocked` names the blockers whenever one appears that it has not named.
 * 2. Then it tries, with a short lock_timeout; one that times out (a transaction started in
 *    between) gives way, and the next try waits for blockers again, after a jittered pause,
 *    with a lock_timeout doubled up to `maxLockTimeout`.
 * 3. After `maxLockWait` in all, it throws `LockWaitTimeoutError` naming the blockers.
 *
 * Errors other than lock timeouts are rethrown at once, with `attempts` attached.
 */
export async function runWithLockWait<T>(
  db: Queryable,
  policy: LockWaitPolicy,
  locks: readonly StatementLock[],
  hooks: LockWaitHooks,
  work: (attempt: LockAttempt) => Promise<T>,
): Promise<{ value: T; attempts: number }> {
  const started = performance.now();
  const deadline = started + policy.maxLockWait;
  const waited = () => Math.round(performance.now() - started);
  const giveUp = async (attempts: number, error?: unknown): Promise<never> => {
    const blockers = await blockingSessions(db, locks, 0).catch(() => []);
    throw new LockWaitTimeoutError({
      waitedMs: waited(),
      attempts,
      locks: lockNames(locks),
      blockers,
      line: error === undefined ? undefined : hooks.lineOf?.(error),
      cause: error,
    });
  };

  let lockTimeout = policy.lockTimeout;
  // Blockers already named during this wait: a report goes out when a new one appears.
  const reported = new Set<number | null>();
  for (let attempt = 1; ; attempt++) {
    for (;;) {
      const blockers = await blockingSessions(db, locks, policy.lockTimeout);
      if (blockers.length === 0) break;
      if (blockers.some((blocker) => !reported.has(blocker.pid))) {
        for (const blocker of blockers) reported.add(blocker.pid);
        hooks.onBlocked(blockers, waited());
      }
      if (performance.now() + policy.lockPollInterval > deadline) await giveUp(attempt - 1);
      await sleep(policy.lockPollInterval);
    }
    reported.clear();
    const remaining = Math.max(1, Math.floor(deadline - performance.now()));
    try {
      const value = await work({
        attempt,
        lockTimeout: lockTimeout === 0 ? 0 : Math.min(lockTimeout, remaining),
      });
      return { value, attempts: attempt };
    } catch (error) {
      if (!hooks.isLockTimeout(error)) throw Object.assign(error as object, { attempts: attempt });
      const outOfRetries = policy.lockRetries !== undefined && attempt > policy.lockRetries;
      if (outOfRetries || performance.now() >= deadline) await giveUp(attempt, error);
      const backoff = Math.min(policy.lockRetryMaxDelay, policy.lockRetryDelay * 2 ** (attempt - 1));
      const delayMs = Math.min(jittered(backoff), Math.max(0, Math.floor(deadline - performance.now())));
      lockTimeout = Math.min(Math.max(policy.maxLockTimeout, policy.lockTimeout), lockTimeout * 2);
      hooks.onRetry({ attempt, delayMs, lockTimeout, error });
      await sleep(delayMs);
    }
  }
}
