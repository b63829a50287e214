import { setTimeout as sleep } from 'node:timers/promises';
import {
  DatabaseError,
  InvalidConfigError,
  identifierProblem,
  LockNotAvailableError,
  mapDatabaseError,
  qualifiedNameProblem,
  quoteIdentifier,
  quoteQualifiedName,
} from '@strata/errors';
import type { Knex } from 'knex';
import { z } from 'zod';
import { backfillTimeouts } from './backfill-timeouts.js';
import { BatchPace } from './batch-pace.js';
import { durationSchema, durationValueSchema } from './duration.js';
import { BatchUpdateInTransactionError } from './migration-errors.js';

/** Progress after each committed batch. */
export interface BatchUpdateProgress {
  table: string;
  batches: number;
  /** Rows changed so far in this call. */
  rowsUpdated: number;
  /** The key of the last row examined, as text; the next batch starts after it. */
  lastKey: string | null;
  elapsedMs: number;
  rowsPerSecond: number;
  /** The size of the batch just committed (it adapts, see `adaptive`). */
  batchSize: number;
  /** The pause before the next batch, in ms. */
  pauseMs: number;
}

export interface BatchUpdateResult extends BatchUpdateProgress {
  /** Batches that were run again after a lock timeout, deadlock or serialization failure. */
  retries: number;
}

/** A Knex raw expression (`knex.raw('upper(code)')`), inlined into the SQL with its own bindings. */
type RawExpression = Knex.Raw;

const isRaw = (value: unknown): value is RawExpression =>
  typeof value === 'object' &&
  value !== null &&
  (value as { isRawInstance?: unknown }).isRawInstance === true;

const columnMap = (what: string) =>
  z.record(z.string(), z.unknown()).superRefine((map, context) => {
    const columns = Object.keys(map);
    if (what === 'set' && columns.length === 0)
      context.addIssue({ code: 'custom', message: 'must set at least one column' });
    for (const column of columns) {
      const problem = identifierProblem(column);
      if (problem) context.addIssue({ code: 'custom', path: [column], message: problem });
    }
  });

const optionsSchema = z
  .object({
    /** `table` or `schema.table`. */
    table: z.string().superRefine((table, context) => {
      const problem = qualifiedNameProblem(table);
      if (problem) context.addIssue({ code: 'custom', message: problem });
    }),
    /** Column → new value (sent as a parameter) or `knex.raw(...)` expression. */
    set: z
      .custom<Record<string, unknown>>(
        (value) => typeof value === 'object' && value !== null && !isRaw(value),
        'must be an object of column: value',
      )
      .pipe(columnMap('set')),
    /**
     * The rows still to update: column → value (`null` means IS NULL), or a `knex.raw(...)`
     * condition. It must stop matching a row once updated: that makes reruns idempotent and
     * lets a killed backfill resume where it stopped.
     */
    where: z.union([
      z.custom<RawExpression>(isRaw),
      z
        .custom<Record<string, unknown>>(
          (value) => typeof value === 'object' && value !== null && !isRaw(value),
        )
        .pipe(columnMap('where')),
    ]),
    /** Rows per batch: the first and the largest, since `adaptive` may shrink batches. */
    batchSize: z.int().min(1).max(1_000_000).default(1_000),
    /** The unique, ordered key to walk; defaults to the table's single-column primary key. */
    key: z
      .string()
      .superRefine((key, context) => {
        const problem = identifierProblem(key);
        if (problem) context.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
    /**
     * lock_timeout of each batch; a batch that waits longer is retried. Default: the
     * migrator's `backfillLockTimeout` in a migration (2 s unless configured).
     */
    lockTimeout: durationValueSchema().optional(),
    /** statement_timeout of each batch. Default: the migrator's `backfillStatementTimeout` (60 s). */
    statementTimeout: durationValueSchema().optional(),
    /** Retries of one batch after a lock timeout, deadlock or serialization failure. */
    retries: z.int().min(0).max(1_000).default(10),
    /** Pause between batches, to leave room for other traffic; with `adaptive`, the shortest. */
    pause: durationSchema(0),
    /**
     * Yield to the application (see BatchPace): pause at least as long as each batch took
     * while other sessions run statements; halve batches and double the pause when a batch
     * makes another session wait on its locks; fit batches into `targetBatchTime`; grow back
     * when calm. `false` keeps `batchSize` and `pause` fixed.
     */
    adaptive: z
      .union([
        z.literal(false),
        z
          .strictObject({
            targetBatchTime: durationSchema(1_000),
            minBatchSize: z.int().min(1).default(100),
            maxPause: durationSchema(5_000),
          })
          .default({ targetBatchTime: 1_000, minBatchSize: 100, maxPause: 5_000 }),
      ])
      .default({ targetBatchTime: 1_000, minBatchSize: 100, maxPause: 5_000 }),
    onProgress: z
      .custom<(progress: BatchUpdateProgress) => void>((value) => typeof value === 'function')
      .optional(),
  })
  .strict();

/** Options of `batchUpdate`. */
export type BatchUpdateOptions = z.input<typeof optionsSchema>;

async function primaryKeyOf(knex: Knex, table: string): Promise<string> {
  const result = await knex.raw(
    `select to_regclass(?) is not null as present,
            (select array_agg(a.attname::text)
               from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
              where i.indrelid = to_regclass(?) and i.indisprimary) as columns`,
    [quoteQualifiedName(table), quoteQualifiedName(table)],
  );
  const row = (result as { rows: { present: boolean; columns: string[] | null }[] }).rows[0];
  if (!row?.present) {
    throw new InvalidConfigError('batchUpdate', [
      { path: 'table', message: `table "${table}" does not exist` },
    ]);
  }
  const columns = row.columns ?? [];
  if (columns.length !== 1 || !columns[0]) {
    throw new InvalidConfigError('batchUpdate', [
      {
        path: 'key',
        message: `table "${table}" has no single-column primary key; pass key: a unique, indexed column`,
      },
    ]);
  }
  return columns[0];
}

function condition(where: RawExpression | Record<string, unknown>): { sql: string; bindings: unknown[] } {
  if (isRaw(where)) return { sql: '(?)', bindings: [where] };
  const parts = Object.entries(where).map(([column, value]) =>
    value === null
      ? { sql: `${quoteIdentifier(column)} is null`, bindings: [] }
      : { sql: `${quoteIdentifier(column)} = ?`, bindings: [value] },
  );
  if (parts.length === 0) return { sql: 'true', bindings: [] };
  return {
    sql: parts.map((part) => part.sql).join(' and '),
    bindings: parts.flatMap((part) => part.bindings),
  };
}

/** What one batch statement returns. */
interface BatchRow {
  last_key: string | null;
  selected: number;
  updated: number;
  lock_waiters: number;
  active_sessions: number;
}

const retryable = (error: unknown): boolean => {
  const mapped = mapDatabaseError(error);
  return mapped instanceof LockNotAvailableError || (mapped instanceof DatabaseError && mapped.retryable);
};

/**
 * Backfills a large table in batches, each committed on its own so no lock or transaction
 * outlives a batch: walks the key in order, updates up to `batchSize` rows that still match
 * `where`, and reports progress after each batch. Idempotent and resumable because `where`
 * selects only rows still to update. Table and column names are checked and quoted; values
 * are parameters. A batch that hits a lock timeout, deadlock or serialization failure is
 * retried with backoff. Give it the Knex instance, not a transaction.
 */
export async function batchUpdate(knex: Knex, options: BatchUpdateOptions): Promise<BatchUpdateResult> {
  if ((knex as { isTransaction?: boolean }).isTransaction) throw new BatchUpdateInTransactionError();
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new InvalidConfigError(
      'batchUpdate',
      parsed.error.issues.map((issue) => ({
        path: issue.path.map(String).join('.'),
        message: issue.message,
      })),
    );
  }
  const defaults = backfillTimeouts();
  const config = {
    ...parsed.data,
    lockTimeout: parsed.data.lockTimeout ?? defaults.lockTimeout,
    statementTimeout: parsed.data.statementTimeout ?? defaults.statementTimeout,
  };
  const table = quoteQualifiedName(config.table);
  const key = quoteIdentifier(config.key ?? (await primaryKeyOf(knex, config.table)));
  const filter = condition(config.where);
  const setEntries = Object.entries(config.set);
  const assignments = setEntries.map(([column]) => `${quoteIdentifier(column)} = ?`).join(', ');
  const setBindings = setEntries.map(([, value]) => value);

  const statement = (after: boolean) => `
    with batch as (
      select ${key} as strata_batch_key from ${table}
      where ${after ? `${key} > ? and ` : ''}(${filter.sql})
      order by ${key} limit ?
    ), updated as (
      update ${table} set ${assignments}
      from batch where ${table}.${key} = batch.strata_batch_key and (${filter.sql})
      returning 1
    )
    select (select strata_batch_key::text from batch order by strata_batch_key desc limit 1) as last_key,
           (select count(*) from batch)::int as selected,
           (select count(*) from updated)::int as updated,
           -- Read after the update, while its row locks are held: who waits on them, and how
           -- busy the application is. (Other roles' sessions show only with pg_read_all_stats.)
           (select count(*) from pg_stat_activity
             where datname = current_database()
               and case when wait_event_type = 'Lock'
                        then pg_backend_pid() = any(pg_blocking_pids(pid)) else false end)::int as lock_waiters,
           (select count(*) from pg_stat_activity
             where datname = current_database() and pid <> pg_backend_pid()
               and backend_type = 'client backend' and state = 'active')::int as active_sessions`;

  const started = performance.now();
  const progress: BatchUpdateProgress = {
    table: config.table,
    batches: 0,
    rowsUpdated: 0,
    lastKey: null,
    elapsedMs: 0,
    rowsPerSecond: 0,
    batchSize: config.batchSize,
    pauseMs: config.pause,
  };
  const pace = new BatchPace(config.batchSize, config.pause, config.adaptive);
  let retries = 0;
  for (;;) {
    const after = progress.lastKey !== null;
    const size = pace.batchSize;
    const bindings = [
      ...(after ? [progress.lastKey] : []),
      ...filter.bindings,
      size,
      ...setBindings,
      ...filter.bindings,
    ];
    let row: BatchRow | undefined;
    let batchStarted = 0;
    for (let attempt = 0; ; attempt++) {
      try {
        batchStarted = performance.now();
        row = await knex.transaction(async (trx) => {
          await trx.raw(
            "select set_config('lock_timeout', ?, true), set_config('statement_timeout', ?, true)",
            [`${config.lockTimeout}ms`, `${config.statementTimeout}ms`],
          );
          const result = await trx.raw(statement(after), bindings as Knex.RawBinding[]);
          return (result as { rows: BatchRow[] }).rows[0];
        });
        break;
      } catch (error) {
        if (!retryable(error) || attempt >= config.retries) throw mapDatabaseError(error);
        retries++;
        await sleep(Math.min(5_000, 50 * 2 ** attempt) * (0.5 + Math.random() / 2));
      }
    }
    if (!row || row.selected === 0) break;
    const pause = pace.next({
      durationMs: performance.now() - batchStarted,
      selected: row.selected,
      lockWaiters: row.lock_waiters,
      activeSessions: row.active_sessions,
    });
    progress.batches++;
    progress.rowsUpdated += row.updated;
    progress.lastKey = row.last_key;
    progress.elapsedMs = Math.round(performance.now() - started);
    progress.rowsPerSecond =
      progress.elapsedMs > 0 ? Math.round((progress.rowsUpdated * 1000) / progress.elapsedMs) : 0;
    progress.batchSize = size;
    progress.pauseMs = pause;
    config.onProgress?.({ ...progress });
    if (row.selected < size) break;
    if (pause > 0) await sleep(pause);
  }
  progress.elapsedMs = Math.round(performance.now() - started);
  progress.rowsPerSecond =
    progress.elapsedMs > 0 ? Math.round((progress.rowsUpdated * 1000) / progress.elapsedMs) : 0;
  return { ...progress, retries };
}
