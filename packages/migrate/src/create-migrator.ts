import os from 'node:os';
import path from 'node:path';
import { InvalidConfigError, mapDatabaseError } from '@strata/errors';
import knexFactory, { type Knex } from 'knex';
import { contractsBlockedByDesign, readSchemaDesign } from './design/index.js';
import { lintBeforeUp } from './lint-before-up.js';
import { RollbackRefusedError } from './migration-errors.js';
import { importMigrationModule, type MigrationFile, readMigrationDirectory } from './migration-file.js';
import {
  type DeployRecord,
  type HistoryRecord,
  MigrationHistory,
  type Queryable,
} from './migration-history.js';
import type { MigrationPhase } from './migration-phase.js';
import {
  assertChecksums,
  type BlockedBy,
  type BlockedMigration,
  checksumProblems,
  type MigrationGuard,
  planMigrations,
} from './migration-plan.js';
import type { AppliedMigration, RolledBackMigration } from './migration-result.js';
import { migrationSeq } from './migration-target.js';
import { recordMigratorEvent, traceMigration, traceRun, traceSession } from './migration-tracing.js';
import { type MigratorOptions, parseMigratorOptions } from './migrator-config.js';
import type { MigratorEvent } from './migrator-event.js';
import { acquireMigratorLock, advisoryLockKey, releaseMigratorLock } from './migrator-lock.js';
import { createMigrationFile, type NewMigration, type NewMigrationOptions } from './new-migration.js';
import { applyMigration, type RunContext, revertMigration } from './run-migration.js';

/** One migration in `status()`: a file, an applied history row, or both. */
export interface MigrationStatus {
  seq: number;
  name: string;
  /** Null when the migration is applied but its file is gone. */
  fileName: string | null;
  scope: string;
  phase: MigrationPhase;
  state: 'applied' | 'pending' | 'blocked';
  /** For blocked migrations: which rule blocks it. */
  blockedBy: BlockedBy | null;
  /** Why it is blocked, or a note on a pending one (e.g. a contract ready for up --post-deploy). */
  reason: string | null;
  /** For applied migrations: does the file still match what ran? */
  checksum: 'ok' | 'changed' | 'missing-file' | null;
  appliedAt: Date | null;
  appliedBy: string | null;
  durationMs: number | null;
}

export interface StatusReport {
  migrations: MigrationStatus[];
  deploys: DeployRecord[];
}

/** A migration `up` would run, with what it would execute. */
export interface PlannedMigration {
  seq: number;
  name: string;
  fileName: string;
  scope: string;
  phase: MigrationPhase;
  kind: 'sql' | 'module';
  /** False when it runs statement by statement; `nonTransactional` says which statements force that. */
  transactional: boolean;
  nonTransactional: { line: number; reason: string }[];
  /** The up SQL; null for `.ts`/`.js` migrations, whose up() runs code. */
  sql: string | null;
}

export interface PlanReport {
  /** In the order `up` runs them. */
  migrations: PlannedMigration[];
  blocked: BlockedMigration[];
}

export interface UpOptions {
  /** Also run contract migrations whose deploy gate is open. Use after the code deploy. */
  postDeploy?: boolean | undefined;
}

export interface UpResult {
  applied: AppliedMigration[];
  /** Pending migrations that did not run, and why. */
  blocked: BlockedMigration[];
}

export interface DownOptions {
  /**
   * Roll back every applied migration with a seq above this (a seq number, or a migration's
   * name or file name, which is kept). Without it, only the last applied migration is rolled back.
   */
  to?: number | string | undefined;
}

export interface DownResult {
  /** In the order they were rolled back (highest seq first). */
  rolledBack: RolledBackMigration[];
}

/** The migrator: read-only reports (`status`, `plan`, `listDeploys`) and the commands that change the database. */
export interface Migrator {
  readonly directory: string;
  /** Every migration with its state, checksum and why it is blocked; reads, never writes. */
  status(): Promise<StatusReport>;
  /** What `up` would run, in order, with the SQL; and what it would not run, and why. */
  plan(options?: UpOptions): Promise<PlanReport>;
  /** Applies pending migrations under the migrator lock. Contracts only with `postDeploy`. */
  up(options?: UpOptions): Promise<UpResult>;
  /** Rolls back by phase: expand/validate run their down, backfill is a no-op, contract is refused. */
  down(options?: DownOptions): Promise<DownResult>;
  /** Records that release `release` of the application is deployed, opening the deploy gate. */
  markDeploy(release: string): Promise<DeployRecord>;
  listDeploys(): Promise<DeployRecord[]>;
  /** Creates the next migration file from a template. Does not touch the database. */
  newMigration(options: NewMigrationOptions): Promise<NewMigration>;
  /** Ends the migrator's own Knex pool when it was created from a connection string. */
  close(): Promise<void>;
}

/** What the database records: the applied migrations and the deploys. */
interface RecordedState {
  history: HistoryRecord[];
  deploys: DeployRecord[];
}

function defaultAppliedBy(): string {
  try {
    return `${os.userInfo().username}@${os.hostname()}`;
  } catch {
    return `unknown@${os.hostname()}`;
  }
}

const release = (value: unknown): string => {
  if (typeof value !== 'string' || value.trim() === '' || value.length > 200 || /[\p{Cc}]/u.test(value)) {
    throw new InvalidConfigError('deploy', [
      { path: 'release', message: 'must be a non-empty release name of at most 200 printable characters' },
    ]);
  }
  return value.trim();
};

/**
 * Creates a phased migrator over a migrations directory and a PostgreSQL database, reached
 * through a Knex instance (`knex`, e.g. `pool.knex`) or a `connectionString`. Options are
 * validated up front (`InvalidConfigError` names every bad field); nothing connects until a
 * method needs the database. Every method returns plain data, ready for a table or JSON.
 */
export function createMigrator(options: MigratorOptions): Migrator {
  const config = parseMigratorOptions(options);
  const directory = path.resolve(config.directory);
  const ownsKnex = config.knex === undefined;
  const knex: Knex =
    config.knex ??
    knexFactory({ client: 'pg', connection: config.connectionString, pool: { min: 0, max: 4 } });
  const history = new MigrationHistory(config);
  const lockKey = advisoryLockKey(`run:${config.schema}.${config.historyTable}`);
  const creationLockKey = advisoryLockKey(`create:${config.schema}.${config.historyTable}`);
  const appliedBy = config.appliedBy ?? defaultAppliedBy();

  const emit = (event: MigratorEvent): void => {
    recordMigratorEvent(event);
    try {
      config.onEvent?.(event);
    } catch {
      // Events are informational; a failing listener must not break a migration.
    }
  };

  async function withSession<T>(work: (db: Queryable, connection: unknown) => Promise<T>): Promise<T> {
    let connection: Queryable;
    try {
      connection = (await knex.client.acquireConnection()) as Queryable;
    } catch (error) {
      throw mapDatabaseError(error);
    }
    try {
      return await work(traceSession(connection), connection);
    } catch (error) {
      throw mapDatabaseError(error);
    } finally {
      await knex.client.releaseConnection(connection);
    }
  }

  // A dedicated session holding the migrator lock for the whole run. When the process dies,
  // PostgreSQL ends the session (client_connection_check_interval makes it notice during a
  // long statement), which rolls back the open migration and releases the lock.
  async function withLockedSession<T>(work: (context: RunContext) => Promise<T>): Promise<T> {
    return withSession(async (db, connection) => {
      await db.query(
        `select set_config('application_name', 'strata-migrate', false),
                case when current_setting('server_version_num')::int >= 140000
                  then set_config('client_connection_check_interval', '1000ms', false) end`,
      );
      const started = performance.now();
      try {
        await acquireMigratorLock(db, lockKey, config.lockWaitTimeout, (holder) =>
          emit({ type: 'lock-wait', holderPid: holder?.pid, holderApplication: holder?.applicationName }),
        );
        emit({ type: 'lock-acquired', waitedMs: Math.round(performance.now() - started) });
        try {
          await history.ensure(db, creationLockKey);
          return await work({
            db,
            connection,
            knex,
            history,
            emit,
            policy: {
              lockTimeout: config.lockTimeout,
              statementTimeout: config.statementTimeout,
              lockRetries: config.lockRetries,
              lockRetryDelay: config.lockRetryDelay,
              lockRetryMaxDelay: config.lockRetryMaxDelay,
              appliedBy,
            },
          });
        } finally {
          await releaseMigratorLock(db, lockKey).catch(() => undefined);
        }
      } finally {
        await db
          .query('reset application_name; reset client_connection_check_interval')
          .catch(() => undefined);
      }
    });
  }

  async function readState(db: Queryable): Promise<RecordedState> {
    if (!(await history.exists(db))) return { history: [], deploys: [] };
    return { history: await history.read(db), deploys: await history.readDeploys(db) };
  }

  // Runs `work` under the migrator lock with the files and the history, read only once the
  // lock is held (another migrator may just have finished) and checked against the files.
  async function withCheckedState<T>(
    work: (context: RunContext, files: MigrationFile[], state: RecordedState) => Promise<T>,
  ): Promise<T> {
    const files = await readMigrationDirectory(directory);
    return withLockedSession(async (context) => {
      const state = await readState(context.db);
      assertChecksums(files, state.history);
      return work(context, files, state);
    });
  }

  // The `guard` option, plus the deploy gates of a schema_design.md when `designFile` is set.
  async function guardFor(state: RecordedState): Promise<MigrationGuard | undefined> {
    if (config.designFile === undefined) return config.guard;
    const design = await readSchemaDesign(path.resolve(config.designFile));
    const blockedByDesign = new Map(
      contractsBlockedByDesign(design, state.deploys, state.history).map((entry) => [
        entry.name,
        entry.reason,
      ]),
    );
    return (file, context) => {
      const reason = blockedByDesign.get(file.name);
      return reason === undefined ? config.guard?.(file, context) : `schema_design.md: ${reason}`;
    };
  }

  async function existingTables(db: Queryable): Promise<string[]> {
    const { rows } = await db.query(
      `select schemaname || '.' || tablename as name from pg_tables
       where schemaname not in ('pg_catalog', 'information_schema') order by 1`,
    );
    return rows.map((row) => String(row.name));
  }

  async function status(): Promise<StatusReport> {
    const files = await readMigrationDirectory(directory);
    const state = await withSession(readState);
    const { changed, missing } = checksumProblems(files, state.history);
    const plan = await planFor(files, state, true);
    const blocked = new Map(plan.blocked.map((entry) => [entry.name, entry]));
    const applied = new Map(state.history.map((record) => [record.name, record]));
    const fileNames = new Map(files.map((file) => [file.name, file.fileName]));
    const names = new Set([...files.map((file) => file.name), ...state.history.map((record) => record.name)]);
    const rows: MigrationStatus[] = [...names].map((name) => {
      const record = applied.get(name);
      const file = files.find((candidate) => candidate.name === name);
      const fileName = fileNames.get(name) ?? null;
      const block = blocked.get(name);
      const source = (record ?? file) as { seq: number; scope: string; phase: MigrationPhase };
      return {
        seq: source.seq,
        name,
        fileName,
        scope: source.scope,
        phase: source.phase,
        state: record ? 'applied' : block ? 'blocked' : 'pending',
        blockedBy: block?.blockedBy ?? null,
        reason:
          block?.reason ??
          (!record && file?.phase === 'contract' ? 'ready: runs with up --post-deploy' : null),
        checksum: record
          ? missing.includes(name)
            ? 'missing-file'
            : fileName && changed.includes(fileName)
              ? 'changed'
              : 'ok'
          : null,
        appliedAt: record?.appliedAt ?? null,
        appliedBy: record?.appliedBy ?? null,
        durationMs: record?.durationMs ?? null,
      };
    });
    rows.sort((a, b) => a.seq - b.seq);
    return { migrations: rows, deploys: state.deploys };
  }

  async function planned(file: MigrationFile): Promise<PlannedMigration> {
    const base = {
      seq: file.seq,
      name: file.name,
      fileName: file.fileName,
      scope: file.scope,
      phase: file.phase,
    };
    if (file.sql) {
      return {
        ...base,
        kind: 'sql',
        transactional: file.sql.up.transactional,
        nonTransactional: file.sql.up.statements.flatMap((statement) =>
          statement.nonTransactional ? [{ line: statement.line, reason: statement.nonTransactional }] : [],
        ),
        sql: file.sql.up.sql,
      };
    }
    const loaded = await importMigrationModule(file);
    return {
      ...base,
      kind: 'module',
      transactional: loaded.settings.transaction !== false,
      nonTransactional:
        loaded.settings.transaction === false ? [{ line: 1, reason: 'config.transaction = false' }] : [],
      sql: null,
    };
  }

  // What `up` would run given these files and this history, and what it would hold back.
  async function planFor(files: MigrationFile[], state: RecordedState, postDeploy: boolean) {
    return planMigrations({ files, ...state, postDeploy, guard: await guardFor(state) });
  }

  async function plan(planOptions: UpOptions = {}): Promise<PlanReport> {
    const files = await readMigrationDirectory(directory);
    const state = await withSession(readState);
    assertChecksums(files, state.history);
    const result = await planFor(files, state, planOptions.postDeploy === true);
    const migrations: PlannedMigration[] = [];
    for (const file of result.run) migrations.push(await planned(file));
    return { migrations, blocked: result.blocked };
  }

  async function up(upOptions: UpOptions = {}): Promise<UpResult> {
    return withCheckedState(async (context, files, state) => {
      const result = await planFor(files, state, upOptions.postDeploy === true);
      const lint = config.lint === false ? undefined : (config.lint ?? lintBeforeUp(emit));
      if (lint && result.run.length > 0) {
        await lint({
          directory,
          files,
          pending: result.run,
          existingTables: await existingTables(context.db),
        });
      }
      const applied: AppliedMigration[] = [];
      for (const file of result.run) {
        try {
          applied.push(await traceMigration(file, 'up', () => applyMigration(context, file)));
        } catch (error) {
          throw Object.assign(error as object, { applied });
        }
      }
      return { applied, blocked: result.blocked };
    });
  }

  async function down(downOptions: DownOptions = {}): Promise<DownResult> {
    return withCheckedState(async (context, files, state) => {
      const newestFirst = [...state.history].sort((a, b) => b.seq - a.seq);
      const keep =
        downOptions.to === undefined
          ? undefined
          : migrationSeq(downOptions.to, files, { config: 'down', path: 'to' });
      const targets =
        keep === undefined ? newestFirst.slice(0, 1) : newestFirst.filter((record) => record.seq > keep);
      const byName = new Map(files.map((file) => [file.name, file]));
      // Refuse before running anything, so a rollback never stops half-way on a rule.
      for (const record of targets) {
        const file = byName.get(record.name) as MigrationFile;
        if (record.phase === 'contract') throw new RollbackRefusedError(file.fileName, 'contract');
        if (record.phase !== 'backfill' && !(await hasDown(file)))
          throw new RollbackRefusedError(file.fileName, 'no-down');
      }
      const rolledBack: RolledBackMigration[] = [];
      for (const record of targets) {
        const file = byName.get(record.name) as MigrationFile;
        rolledBack.push(await traceMigration(file, 'down', () => revertMigration(context, file, record)));
      }
      return { rolledBack };
    });
  }

  return {
    directory,
    status,
    plan,
    up: (upOptions) => traceRun('up', () => up(upOptions)),
    down: (downOptions) => traceRun('down', () => down(downOptions)),
    async markDeploy(releaseName: string) {
      const name = release(releaseName);
      return withSession(async (db) => {
        await history.ensure(db, creationLockKey);
        return history.markDeploy(db, name, appliedBy);
      });
    },
    async listDeploys() {
      return withSession(async (db) => (await readState(db)).deploys);
    },
    newMigration: (newOptions) => createMigrationFile(directory, newOptions),
    async close() {
      if (ownsKnex) await knex.destroy();
    },
  };
}

async function hasDown(file: MigrationFile): Promise<boolean> {
  if (file.sql) return (file.sql.down?.statements.length ?? 0) > 0;
  return (await importMigrationModule(file)).down !== undefined;
}
