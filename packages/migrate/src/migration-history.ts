import { quoteIdentifier } from '@strata/errors';
import type { MigrationPhase } from './migration-phase.js';

/** The one thing the history store needs from a connection: run parameterised SQL. */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/** A row of the history table: one applied migration. */
export interface HistoryRecord {
  /** Increases with every application; the deploy gate compares against it. */
  id: number;
  seq: number;
  name: string;
  scope: string;
  phase: MigrationPhase;
  checksum: string;
  appliedAt: Date;
  durationMs: number;
  /** Who ran the migrator (`user@host` by default, or the `appliedBy` option). */
  appliedBy: string;
  /** The PostgreSQL role that applied it. */
  databaseUser: string;
}

/** A recorded deploy: `markDeploy(release)` after the application code went out. */
export interface DeployRecord {
  id: number;
  release: string;
  markedAt: Date;
  markedBy: string;
  databaseUser: string;
  /** The highest history id at the time of the mark: migrations up to it ran before this deploy. */
  historyHighWater: number;
}

/** Where the migrator keeps its history and deploy tables. */
export interface HistoryTables {
  schema: string;
  historyTable: string;
  deployTable: string;
}

const qualified = (schema: string, table: string): string =>
  `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;

/** Reads and writes the history and deploy tables. Plain tables: no triggers, no functions. */
export class MigrationHistory {
  readonly history: string;
  readonly deploys: string;

  constructor(readonly tables: HistoryTables) {
    this.history = qualified(tables.schema, tables.historyTable);
    this.deploys = qualified(tables.schema, tables.deployTable);
  }

  /** True when both tables exist. Reading commands use it to avoid creating anything. */
  async exists(db: Queryable): Promise<boolean> {
    const { rows } = await db.query(
      'select to_regclass($1) is not null and to_regclass($2) is not null as present',
      [this.history, this.deploys],
    );
    return rows[0]?.present === true;
  }

  /**
   * Creates the schema and both tables when missing. A transaction-scoped advisory lock keeps
   * two first-time migrators from racing on CREATE TABLE IF NOT EXISTS.
   */
  async ensure(db: Queryable, creationLockKey: string): Promise<void> {
    if (await this.exists(db)) return;
    await db.query('begin');
    try {
      await db.query('select pg_advisory_xact_lock($1::bigint)', [creationLockKey]);
      await db.query(`create schema if not exists ${quoteIdentifier(this.tables.schema)}`);
      await db.query(`create table if not exists ${this.history} (
        id bigint generated always as identity primary key,
        seq integer not null unique,
        name text not null unique,
        scope text not null,
        phase text not null check (phase in ('expand', 'backfill', 'validate', 'contract')),
        checksum text not null,
        applied_at timestamptz not null default clock_timestamp(),
        duration_ms integer not null,
        applied_by text not null,
        database_user text not null default current_user
      )`);
      await db.query(`create table if not exists ${this.deploys} (
        id bigint generated always as identity primary key,
        release text not null,
        marked_at timestamptz not null default clock_timestamp(),
        marked_by text not null,
        database_user text not null default current_user,
        history_high_water bigint not null
      )`);
      await db.query('commit');
    } catch (error) {
      await db.query('rollback').catch(() => undefined);
      throw error;
    }
  }

  async read(db: Queryable): Promise<HistoryRecord[]> {
    const { rows } = await db.query(
      `select id, seq, name, scope, phase, checksum, applied_at, duration_ms, applied_by, database_user
       from ${this.history} order by seq`,
    );
    return rows.map((row) => ({
      id: Number(row.id),
      seq: Number(row.seq),
      name: String(row.name),
      scope: String(row.scope),
      phase: row.phase as MigrationPhase,
      checksum: String(row.checksum),
      appliedAt: row.applied_at as Date,
      durationMs: Number(row.duration_ms),
      appliedBy: String(row.applied_by),
      databaseUser: String(row.database_user),
    }));
  }

  async record(
    db: Queryable,
    entry: Pick<HistoryRecord, 'seq' | 'name' | 'scope' | 'phase' | 'checksum' | 'durationMs' | 'appliedBy'>,
  ): Promise<void> {
    await db.query(
      `insert into ${this.history} (seq, name, scope, phase, checksum, duration_ms, applied_by)
       values ($1, $2, $3, $4, $5, $6, $7)`,
      [entry.seq, entry.name, entry.scope, entry.phase, entry.checksum, entry.durationMs, entry.appliedBy],
    );
  }

  async remove(db: Queryable, name: string): Promise<void> {
    await db.query(`delete from ${this.history} where name = $1`, [name]);
  }

  async readDeploys(db: Queryable): Promise<DeployRecord[]> {
    const { rows } = await db.query(
      `select id, release, marked_at, marked_by, database_user, history_high_water from ${this.deploys} order by id`,
    );
    return rows.map(toDeploy);
  }

  async markDeploy(db: Queryable, release: string, markedBy: string): Promise<DeployRecord> {
    const { rows } = await db.query(
      `insert into ${this.deploys} (release, marked_by, history_high_water)
       values ($1, $2, (select coalesce(max(id), 0) from ${this.history}))
       returning id, release, marked_at, marked_by, database_user, history_high_water`,
      [release, markedBy],
    );
    return toDeploy(rows[0] ?? {});
  }
}

function toDeploy(row: Record<string, unknown>): DeployRecord {
  return {
    id: Number(row.id),
    release: String(row.release),
    markedAt: row.marked_at as Date,
    markedBy: String(row.marked_by),
    databaseUser: String(row.database_user),
    historyHighWater: Number(row.history_high_water),
  };
}
