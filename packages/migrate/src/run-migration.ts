import { LockNotAvailableError, mapDatabaseError, StrataError } from '@strata/errors';
import type { Knex } from 'knex';
import { withBackfillTimeouts } from './backfill-timeouts.js';
import { dropInvalidIndexFor } from './invalid-index.js';
import { type LockAttempt, runWithLockWait } from './lock-wait.js';
import { LockWaitTimeoutError, MigrationFailedError, MigrationFileError } from './migration-errors.js';
import { importMigrationModule, type MigrationFile } from './migration-file.js';
import type { HistoryRecord, MigrationHistory, Queryable } from './migration-history.js';
import type { AppliedMigration, RolledBackMigration } from './migration-result.js';
import type { MigratorEvent } from './migrator-event.js';
import type { RunPolicy } from './run-policy.js';
import type { SectionStatement, SqlSection } from './sql-migration-file.js';
import { type StatementLock, statementLocks } from './statement-locks.js';

/** Everything a migration needs to run: the migrator's session and the Knex it came from. */
export interface RunContext {
  /** The migrator's session, holding the migrator lock. */
  db: Queryable;
  /** The same session as the raw driver connection, for Knex transactions on it. */
  connection: unknown;
  knex: Knex;
  history: MigrationHistory;
  policy: RunPolicy;
  emit: (event: MigratorEvent) => void;
}

interface Timeouts {
  lockTimeout: number;
  statementTimeout: number;
}

const setTimeouts = async (db: Queryable, timeouts: Timeouts, local: boolean): Promise<void> => {
  await db.query("select set_config('lock_timeout', $1, $3), set_config('statement_timeout', $2, $3)", [
    `${timeouts.lockTimeout}ms`,
    `${timeouts.statementTimeout}ms`,
    local,
  ]);
};

const resetTimeouts = async (db: Queryable): Promise<void> => {
  await db.query('reset lock_timeout').catch(() => undefined);
  await db.query('reset statement_timeout').catch(() => undefined);
};

class StatementFailure extends Error {
  constructor(
    readonly line: number | undefined,
    readonly original: unknown,
  ) {
    super('statement failed');
  }
}

const isLockTimeout = (error: unknown): boolean =>
  mapDatabaseError(error instanceof StatementFailure ? error.original : error) instanceof
  LockNotAvailableError;

// Waits for sessions holding conflicting locks on the tables `locks` names instead of
// queueing behind them, then runs `work` with a short, growing lock_timeout (lock-wait.ts).
function runUnblocked<T>(
  context: RunContext,
  file: MigrationFile,
  timeouts: Timeouts,
  locks: readonly StatementLock[],
  work: (attempt: LockAttempt) => Promise<T>,
): Promise<{ value: T; attempts: number }> {
  const { policy } = context;
  return runWithLockWait(
    context.db,
    {
      ...policy,
      lockTimeout: timeouts.lockTimeout,
      maxLockTimeout: timeouts.lockTimeout === 0 ? 0 : Math.max(policy.maxLockTimeout, timeouts.lockTimeout),
    },
    locks,
    {
      isLockTimeout,
      lineOf: (error) => (error instanceof StatementFailure ? error.line : undefined),
      onBlocked: (blockers, waitedMs) =>
        context.emit({ type: 'lock-blocked', name: file.name, waitedMs, blockers }),
      onRetry: ({ attempt, delayMs, lockTimeout, error }) =>
        context.emit({
          type: 'lock-timeout-retry',
          name: file.name,
          attempt,
          delayMs,
          lockTimeoutMs: lockTimeout,
          line: error instanceof StatementFailure ? error.line : undefined,
        }),
    },
    work,
  );
}

const locksOf = async (statements: readonly SectionStatement[]): Promise<StatementLock[]> =>
  (await Promise.all(statements.map(statementLocks))).flat();

function failure(file: MigrationFile, error: unknown, timeouts: Timeouts): MigrationFailedError {
  if (error instanceof LockWaitTimeoutError) {
    return new MigrationFailedError(file.fileName, error.message, {
      line: error.line,
      attempts: error.attempts,
      cause: error,
    });
  }
  const attempts = (error as { attempts?: number }).attempts ?? 1;
  const line = error instanceof StatementFailure ? error.line : undefined;
  const original = error instanceof StatementFailure ? error.original : error;
  const mapped = mapDatabaseError(original);
  const detail =
    mapped instanceof LockNotAvailableError
      ? `could not take its locks within lock_timeout (${timeouts.lockTimeout} ms) in ${attempts} attempt${attempts === 1 ? '' : 's'}; a long-running transaction holds them (see pg_stat_activity). Run again later.`
      : mapped instanceof Error
        ? mapped.message
        : String(mapped);
  return new MigrationFailedError(file.fileName, detail, {
    line,
    attempts,
    cause: mapped instanceof StrataError || mapped instanceof Error ? mapped : original,
  });
}

async function runStatement(db: Queryable, statement: SectionStatement): Promise<void> {
  try {
    await db.query(statement.sql);
  } catch (error) {
    throw new StatementFailure(statement.line, error);
  }
}

// One transaction around the statements and the history change: all or nothing.
async function runSectionInTransaction(
  db: Queryable,
  section: SqlSection,
  timeouts: Timeouts,
  finish: () => Promise<void>,
): Promise<void> {
  await db.query('begin');
  try {
    await setTimeouts(db, timeouts, true);
    for (const statement of section.statements) await runStatement(db, statement);
    await finish();
    await db.query('commit');
  } catch (error) {
    await db.query('rollback').catch(() => undefined);
    throw error;
  }
}

type Settings = { lockTimeout?: number | undefined; statementTimeout?: number | undefined };

// The timeouts of statements by the locks they take. Those that block writes (DDL) get the
// short, growing lock_timeout. CREATE/DROP INDEX CONCURRENTLY and the like block no reads or
// writes but wait for older transactions (lock waits too): no lock_timeout unless the file
// sets one, and the index-build statement_timeout. The rest (a SQL backfill, CREATE TABLE)
// make no one queue behind them while they wait: backfillLockTimeout.
function timeoutsByLocks(
  context: RunContext,
  settings: Settings,
  locks: readonly StatementLock[],
  concurrent = false,
): Timeouts {
  if (concurrent) {
    return {
      lockTimeout: settings.lockTimeout ?? 0,
      statementTimeout: settings.statementTimeout ?? context.policy.indexBuildStatementTimeout,
    };
  }
  const timeouts = timeoutsFor(context, settings);
  if (locks.length > 0) return timeouts;
  return { ...timeouts, lockTimeout: settings.lockTimeout ?? context.policy.backfill.lockTimeout };
}

// Statement by statement, each committed on its own; a lock timeout retries only the
// statement that hit it. Before a CREATE INDEX CONCURRENTLY, an INVALID index left by an
// earlier failure is dropped so the build starts clean.
async function runSectionStatementByStatement(
  context: RunContext,
  file: MigrationFile,
  section: SqlSection,
  settings: Settings,
  repaired: string[],
): Promise<number> {
  const { db } = context;
  let attempts = 1;
  try {
    for (const statement of section.statements) {
      const locks = await statementLocks(statement);
      const concurrent = statement.nonTransactional?.includes('CONCURRENTLY') === true;
      const timeouts = timeoutsByLocks(context, settings, locks, concurrent);
      const result = await runUnblocked(context, file, timeouts, locks, async ({ lockTimeout }) => {
        await setTimeouts(db, { ...timeouts, lockTimeout }, false);
        const dropped = await dropInvalidIndexFor(db, statement);
        if (dropped) {
          repaired.push(dropped);
          context.emit({ type: 'invalid-index-dropped', name: file.name, index: dropped });
        }
        await runStatement(db, statement);
      });
      attempts = Math.max(attempts, result.attempts);
    }
  } finally {
    await resetTimeouts(db);
  }
  return attempts;
}

function timeoutsFor(context: RunContext, settings: Settings): Timeouts {
  return {
    lockTimeout: settings.lockTimeout ?? context.policy.lockTimeout,
    statementTimeout: settings.statementTimeout ?? context.policy.statementTimeout,
  };
}

type Direction = 'up' | 'down';

interface Step {
  transactional: boolean;
  timeouts: Timeouts;
  run: (finish: () => Promise<void>, repaired: string[]) => Promise<number>;
}

// How to run one direction of a migration: SQL sections or module functions, in a
// transaction or not. `finish` writes the history change; in a transaction it is part of it.
async function stepFor(context: RunContext, file: MigrationFile, direction: Direction): Promise<Step> {
  if (file.sql) {
    const section = direction === 'up' ? file.sql.up : file.sql.down;
    if (!section)
      throw new MigrationFailedError(file.fileName, `has no ${direction} section`, { attempts: 0 });
    const { settings } = file.sql;
    if (!section.transactional) {
      return {
        transactional: false,
        timeouts: timeoutsFor(context, settings),
        run: async (finish, repaired) => {
          const attempts = await runSectionStatementByStatement(context, file, section, settings, repaired);
          await finish();
          return attempts;
        },
      };
    }
    const locks = await locksOf(section.statements);
    const timeouts = timeoutsByLocks(context, settings, locks);
    return {
      transactional: true,
      timeouts,
      run: async (finish) =>
        (
          await runUnblocked(context, file, timeouts, locks, ({ lockTimeout }) =>
            runSectionInTransaction(context.db, section, { ...timeouts, lockTimeout }, finish),
          )
        ).attempts,
    };
  }

  const loaded = await importMigrationModule(file);
  const fn = direction === 'up' ? loaded.up : loaded.down;
  if (!fn) throw new MigrationFailedError(file.fileName, `does not export ${direction}`, { attempts: 0 });
  const timeouts = timeoutsFor(context, loaded.settings);
  if (loaded.settings.transaction === false) {
    return {
      transactional: false,
      timeouts,
      // Runs on the Knex pool, outside the migrator's session; each batchUpdate batch sets
      // its own timeouts, by default the migrator's backfill ones.
      run: async (finish) => {
        await withBackfillTimeouts(context.policy.backfill, () => fn(context.knex));
        await finish();
        return 1;
      },
    };
  }
  // What a module's up() locks is unknown until it runs: no waiting for blockers, but the
  // same short, growing lock_timeout.
  return {
    transactional: true,
    timeouts,
    run: async (finish) =>
      (
        await runUnblocked(context, file, timeouts, [], ({ lockTimeout }) =>
          context.knex.transaction(
            async (trx) => {
              await trx.raw(
                "select set_config('lock_timeout', ?, true), set_config('statement_timeout', ?, true)",
                [`${lockTimeout}ms`, `${timeouts.statementTimeout}ms`],
              );
              await fn(trx);
              // The transaction runs on the migrator's session, so this joins it.
              await finish();
            },
            { connection: context.connection },
          ),
        )
      ).attempts,
  };
}

/** Applies one migration and records it in the history, atomically when it is transactional. */
export async function applyMigration(context: RunContext, file: MigrationFile): Promise<AppliedMigration> {
  const started = performance.now();
  const repaired: string[] = [];
  let step: Step | undefined;
  try {
    step = await stepFor(context, file, 'up');
    context.emit({
      type: 'migration-start',
      name: file.name,
      phase: file.phase,
      transactional: step.transactional,
    });
    const durationOf = () => Math.round(performance.now() - started);
    const attempts = await step.run(
      () =>
        context.history.record(context.db, {
          seq: file.seq,
          name: file.name,
          scope: file.scope,
          phase: file.phase,
          checksum: file.checksum,
          durationMs: durationOf(),
          appliedBy: context.policy.appliedBy,
        }),
      repaired,
    );
    const durationMs = durationOf();
    context.emit({ type: 'migration-done', name: file.name, durationMs });
    return {
      seq: file.seq,
      name: file.name,
      scope: file.scope,
      phase: file.phase,
      transactional: step.transactional,
      durationMs,
      attempts,
      repairedIndexes: repaired,
    };
  } catch (error) {
    if (error instanceof MigrationFailedError || error instanceof MigrationFileError) {
      throw error;
    }
    throw failure(file, error, step?.timeouts ?? timeoutsFor(context, {}));
  }
}

const BACKFILL_NOTE =
  'backfill rollback is a no-op: the data it wrote stays; it was removed from the history so the next up re-runs it (backfills must be idempotent)';

/** Rolls back one applied migration by its phase's rule and removes it from the history. */
export async function revertMigration(
  context: RunContext,
  file: MigrationFile,
  record: HistoryRecord,
): Promise<RolledBackMigration> {
  const started = performance.now();
  const base = { seq: record.seq, name: record.name, scope: record.scope, phase: record.phase };
  context.emit({ type: 'rollback-start', name: record.name, phase: record.phase });
  if (record.phase === 'backfill') {
    await context.history.remove(context.db, record.name);
    const durationMs = Math.round(performance.now() - started);
    context.emit({ type: 'rollback-done', name: record.name, durationMs, action: 'noop' });
    return { ...base, action: 'noop', note: BACKFILL_NOTE, durationMs, attempts: 1 };
  }
  let step: Step | undefined;
  try {
    step = await stepFor(context, file, 'down');
    const attempts = await step.run(() => context.history.remove(context.db, record.name), []);
    const durationMs = Math.round(performance.now() - started);
    context.emit({ type: 'rollback-done', name: record.name, durationMs, action: 'down' });
    return { ...base, action: 'down', note: undefined, durationMs, attempts };
  } catch (error) {
    if (error instanceof MigrationFailedError || error instanceof MigrationFileError) throw error;
    throw failure(file, error, step?.timeouts ?? timeoutsFor(context, {}));
  }
}
