import { quoteIdentifier } from '@strata/errors';
import type { MigrationOverride, OverridesByName } from './migration-override.js';
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
  /** Refusals overridden with a reason to apply it (`read` gives `[]` for most migrations). */
  overrides?: MigrationOverride[] | undefined;
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
  /**
   * Only from `markDeploy`: what the statistics snapshot taken with the mark holds (the
   * evidence check compares with it), or why none could be taken.
   */
  evidenceSnapshot?: { statements: number; indexes: number } | { unavailable: string } | undefined;
}

/** The statistics snapshot stored with a deploy, and that deploy. */
export interface StoredEvidenceSnapshot {
  deployId: number;
  release: string;
  markedAt: Date;
  snapshot: unknown;
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

  constructor(
    readonly tables: HistoryTables,
    private readonly overrides: ReadonlyMap<string, MigrationOverride[]> = new Map(),
  ) {
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

  /** True when both tables exist with every column this version writes. */
  async current(db: Queryable): Promise<boolean> {
    const { rows } = await db.query(
      `select to_regclass($1) is not null and to_regclass($2) is not null
         and (select count(*) from pg_attribute
              where not attisdropped and ((attrelid = to_regclass($1) and attname = 'overrides')
                or (attrelid = to_regclass($2) and attname = 'evidence'))) = 2 as current`,
      [this.history, this.deploys],
    );
    return rows[0]?.current === true;
  }

  /**
   * Creates the schema and both tables when missing, and brings tables created by an earlier
   * version up to date (the history schema's own migrations: columns added since, nullable
   * and without a default, so adding them changes only the catalog). A transaction-scoped
   * advisory lock keeps two first-time migrators from racing on CREATE TABLE IF NOT EXISTS.
   */
  async ensure(db: Queryable, creationLockKey: string): Promise<void> {
    if (await this.current(db)) return;
    await db.query('begin');
    try {
      await db.query('select pg_advisory_xact_lock($1::bigint)', [creationLockKey]);
      // Never queue for long behind a session reading the history while holding its lock.
      await db.query("set local lock_timeout = '10s'");
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
        database_user text not null default current_user,
        overrides jsonb
      )`);
      await db.query(`create table if not exists ${this.deploys} (
        id bigint generated always as identity primary key,
        release text not null,
        marked_at timestamptz not null default clock_timestamp(),
        marked_by text not null,
        database_user text not null default current_user,
        history_high_water bigint not null,
        evidence jsonb
      )`);
      // Tables created before these columns existed (version 0.1 of this package).
      await db.query(`alter table ${this.history} add column if not exists overrides jsonb`);
      await db.query(`alter table ${this.deploys} add column if not exists evidence jsonb`);
      await db.query('commit');
    } catch (error) {
      await db.query('rollback').catch(() => undefined);
      throw error;
    }
  }

  async read(db: Queryable): Promise<HistoryRecord[]> {
    // `h.*`: a reading command (status) reads tables an older version created, without `overrides`.
    const { rows } = await db.query(`select h.* from ${this.history} h order by seq`);
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
      overrides: Array.isArray(row.overrides) ? (row.overrides as MigrationOverride[]) : [],
    }));
  }

  /**
   * The same history store, recording `overrides` with the migrations they name: the
   * reason goes into the history row in the migration's own transaction.
   */
  withOverrides(overrides: OverridesByName): MigrationHistory {
    return new MigrationHistory(this.tables, overrides);
  }

  async record(
    db: Queryable,
    entry: Pick<HistoryRecord, 'seq' | 'name' | 'scope' | 'phase' | 'checksum' | 'durationMs' | 'appliedBy'>,
  ): Promise<void> {
    const overrides = this.overrides.get(entry.name);
    await db.query(
      `insert into ${this.history} (seq, name, scope, phase, checksum, duration_ms, applied_by, overrides)
       values ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)`,
      [
        entry.seq,
        entry.name,
        entry.scope,
        entry.phase,
        entry.checksum,
        entry.durationMs,
        entry.appliedBy,
        overrides === undefined ? null : JSON.stringify(overrides),
      ],
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

  async markDeploy(
    db: Queryable,
    release: string,
    markedBy: string,
    evidence: unknown = null,
  ): Promise<DeployRecord> {
    const { rows } = await db.query(
      `insert into ${this.deploys} (release, marked_by, history_high_water, evidence)
       values ($1, $2, (select coalesce(max(id), 0) from ${this.history}), $3::jsonb)
       returning id, release, marked_at, marked_by, database_user, history_high_water`,
      [release, markedBy, evidence === null ? null : JSON.stringify(evidence)],
    );
    return toDeploy(rows[0] ?? {});
  }

  /**
   * The statistics snapshot of the latest deploy that has one, or undefined (no such deploy,
   * or tables an older version created and nothing has upgraded yet).
   */
  async latestEvidenceSnapshot(db: Queryable): Promise<StoredEvidenceSnapshot | undefined> {
    if (!(await this.current(db))) return undefined;
    const { rows } = await db.query(
      `select id, release, marked_at, evidence from ${this.deploys}
       where evidence is not null order by id desc limit 1`,
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    return {
      deployId: Number(row.id),
      release: String(row.release),
      markedAt: row.marked_at as Date,
      snapshot: row.evidence,
    };
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
