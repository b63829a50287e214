import { redactConnectionString } from '@strata/errors';
import { startPostgres } from '@strata/local-postgres';
import {
  type BlockedMigration,
  lockRank,
  type MigrationFile,
  type Migrator,
  type PlannedMigration,
  readMigrationDirectory,
} from '@strata/migrate';
import { UsageError } from '../cli-errors.js';
import { openMigrator } from '../commands/open-migrator.js';
import type { CliConfig } from '../config/cli-config.js';
import { connect, type SqlClient } from '../database/connect.js';
import { databaseNameOf, withApplicationName } from '../database/database-url.js';
import { DeployGateOpener } from './deploy-gate-opener.js';
import { type FilledTable, fillTables } from './fill-tables.js';
import { LockSampler, type LockWindow } from './lock-sampler.js';
import { MigratorSteering } from './migrator-steering.js';
import { tablesDroppedByPending } from './pending-drops.js';
import { judgeMigration, type ObservedLock, type Verdict, worstVerdict } from './rehearsal-verdict.js';
import {
  type ExistingRelation,
  type RewrittenTable,
  rewrittenTables,
  snapshotRelations,
} from './relation-snapshot.js';
import { locksFromStatements } from './statement-locks-of.js';
import { readTableCatalog } from './table-catalog.js';
import { createThrowawayDatabase, type ThrowawayDatabase } from './throwaway-database.js';

/** How the rehearsal database gets the current schema. */
export type CloneMode = 'template' | 'replay';

export interface RehearsalOptions {
  config: CliConfig;
  /** The database whose schema is rehearsed against; without it, a local server starts empty. */
  target: string | undefined;
  clone: CloneMode;
  /** Treat migrations up to this seq (or name) as the current schema instead of the target's history. */
  baseline: string | undefined;
  rows: number;
  maxBlockingMs: number;
  sampleIntervalMs: number;
  /** Keep the rehearsal database afterwards, for a look. */
  keep: boolean;
  log?: (line: string) => void;
  onProgress?: (progress: RehearsalProgress) => void;
}

/** What the rehearsal is doing, for a progress bar. */
export interface RehearsalProgress {
  stage: 'fill' | 'migrate';
  current: number;
  total: number;
  label: string;
}

/** One rehearsed migration. */
export interface RehearsedMigration {
  seq: number;
  name: string;
  phase: string;
  transactional: boolean | null;
  durationMs: number;
  /** The strongest lock it took on a relation that existed before it; null when none. */
  strongestLock: ObservedLock | null;
  /**
   * Every lock it took on existing relations, strongest first: seen held by the migrator's
   * sessions (`observed`), or known from a statement when too brief to be seen (`statement`).
   */
  locks: ObservedLock[];
  /** Rows of existing tables the migration wrote (or, for a full rewrite, all their rows). */
  rowsRewritten: number;
  rewrittenTables: RewrittenTable[];
  verdict: Verdict;
  reasons: string[];
  /** The error, when the migration failed; later migrations were not rehearsed. */
  error: string | null;
}

/** The whole rehearsal, as `migrate rehearse --json` prints it. */
export interface RehearsalReport {
  verdict: Verdict;
  rows: number;
  thresholds: { maxBlockingMs: number; sampleIntervalMs: number };
  database: { server: string; name: string; clone: CloneMode | 'empty'; kept: boolean };
  /** The migrations that made up the current schema: those replayed before the tables were filled. */
  baseline: string[];
  tables: FilledTable[];
  migrations: RehearsedMigration[];
  /** Pending migrations that were not rehearsed, and why. */
  notRehearsed: { name: string; reason: string }[];
}

/**
 * Rehearses the pending migrations at data volume, in a throwaway database:
 *
 * 1. The database: on the target's server, a `template` clone of the target (then emptied)
 *    or an empty database into which the migrations the target's history lists as applied
 *    are `replay`ed; without a target, an empty database on a local server (`--baseline`
 *    migrations replayed first).
 * 2. Every table of that schema gets `rows` synthetic rows fitting its types, foreign and
 *    unique keys (`fillTables`, one set-based INSERT per table), then ANALYZE — except the
 *    tables a pending migration drops.
 * 3. The pending migrations run one at a time through the migrator (contracts too: a deploy
 *    is recorded whenever only the deploy gate stands in the way), while pg_locks is sampled;
 *    each gets its duration, the locks its own sessions were seen holding on existing
 *    relations and for how long (plus those its statements take too briefly to be seen), the rows
 *    it rewrote, and a verdict (`judgeMigration`).
 *
 * The database is dropped afterwards unless `keep`. The linter does not run here: the
 * rehearsal measures what the migrations do; `lint` judges what they say.
 */
export async function rehearse(options: RehearsalOptions): Promise<RehearsalReport> {
  const { config } = options;
  const log = options.log ?? (() => undefined);
  const progress = options.onProgress ?? (() => undefined);
  if (options.clone === 'template' && options.target === undefined) {
    throw new UsageError('--clone template copies the target database; give one with --database-url.');
  }
  if (options.clone === 'template' && options.baseline !== undefined) {
    throw new UsageError('--baseline needs --clone replay: a template clone already has its history.');
  }
  const excluded = {
    schema: config.schema ?? 'public',
    tables: [config.historyTable ?? 'strata_migrations', config.deployTable ?? 'strata_deploys'],
  };
  const files = await readMigrationDirectory(config.migrationsDir);
  const baselineNames =
    options.baseline !== undefined
      ? baselineFiles(files, options.baseline)
      : options.target !== undefined && options.clone === 'replay'
        ? await appliedOnTarget(config, options.target)
        : [];

  const local =
    options.target === undefined
      ? await startPostgres({ urlEnvironmentVariables: ['STRATA_TEST_DATABASE_URL'], log })
      : undefined;
  const serverUrl = options.target ?? (local?.connectionString as string);
  let database: ThrowawayDatabase | undefined;
  try {
    database = await createThrowawayDatabase(
      serverUrl,
      options.clone === 'template' && options.target !== undefined
        ? databaseNameOf(options.target)
        : undefined,
    );
    log(`Rehearsal database ${database.name} on ${redactConnectionString(serverUrl)}`);
    const report = await rehearseIn(database, files, baselineNames, excluded, options, progress);
    return {
      ...report,
      database: {
        server: redactConnectionString(serverUrl),
        name: database.name,
        clone: options.target === undefined && options.baseline === undefined ? 'empty' : options.clone,
        kept: options.keep,
      },
    };
  } finally {
    if (database && !options.keep) await database.drop().catch(() => undefined);
    await local?.stop();
  }
}

// The rehearsal migrator's sessions, told apart from autovacuum and everyone else by name;
// the migrator names its own session `strata-migrate` while it runs.
const MIGRATOR_APPLICATIONS = ['strata-migrate', 'strata-rehearsal-migrator'];

async function rehearseIn(
  database: ThrowawayDatabase,
  files: readonly MigrationFile[],
  baselineNames: readonly string[],
  excluded: { schema: string; tables: string[] },
  options: RehearsalOptions,
  progress: (progress: RehearsalProgress) => void,
): Promise<Omit<RehearsalReport, 'database'>> {
  const baseline = new Set(baselineNames);
  const steering = new MigratorSteering(baseline);
  const migrator = await openMigrator(options.config, {
    connectionString: withApplicationName(database.connectionString, 'strata-rehearsal-migrator'),
    onEvent: steering.onEvent,
    extra: { lint: false, appliedBy: 'strata-rehearsal', guard: steering.guard },
  });
  const stats = await connect(database.connectionString, 'strata-rehearsal');
  const samplerClient = await connect(database.connectionString, 'strata-rehearsal-locks');
  const sampler = new LockSampler(samplerClient, MIGRATOR_APPLICATIONS, options.sampleIntervalMs);
  try {
    // 1. The current schema.
    const replayed =
      options.clone === 'replay' && baseline.size > 0 ? await replayBaseline(migrator, baseline) : [];
    steering.allowPending();
    const catalog = await readTableCatalog(stats, excluded);
    if (options.clone === 'template' && catalog.length > 0) {
      await stats.query(
        `truncate table ${catalog.map((table) => table.qualified).join(', ')} restart identity cascade`,
      );
    }

    // 2. Data, except in tables the pending migrations drop.
    const status = await migrator.status();
    const pendingNames = new Set(
      status.migrations.filter((migration) => migration.state !== 'applied').map((m) => m.name),
    );
    const skip = await tablesDroppedByPending(
      stats,
      files.filter((file) => pendingNames.has(file.name)),
      catalog,
    );
    const tables = await fillTables(stats, catalog, options.rows, {
      skip,
      onTable: (current, total, label) => progress({ stage: 'fill', current, total, label }),
    });
    for (const table of catalog) await stats.query(`analyze ${table.qualified}`);

    // 3. The pending migrations, one at a time.
    const pendingTotal = status.migrations.filter((migration) => migration.state !== 'applied').length;
    const migrations: RehearsedMigration[] = [];
    let notRehearsed: BlockedMigration[] = [];
    const gate = new DeployGateOpener(migrator, 'rehearsal-deploy');
    sampler.start();
    for (;;) {
      steering.allowPending();
      const plan = await migrator.plan({ postDeploy: true });
      const next = plan.migrations[0];
      if (next === undefined) {
        if (await gate.open(plan.blocked)) continue;
        notRehearsed = plan.blocked;
        break;
      }
      gate.ran();
      progress({ stage: 'migrate', current: migrations.length + 1, total: pendingTotal, label: next.name });
      const rehearsed = await rehearseOne(next, { migrator, steering, stats, sampler, excluded, options });
      migrations.push(rehearsed);
      if (rehearsed.error !== null) {
        // Later migrations build on this one; what is left is reported as not rehearsed.
        steering.allowPending();
        const rest = await migrator.plan({ postDeploy: true }).catch(() => undefined);
        notRehearsed = [
          ...(rest?.migrations ?? [])
            .filter((migration) => migration.name !== next.name)
            .map((migration) => ({
              ...migration,
              blockedBy: 'guard' as const,
              reason: `${next.name} failed first`,
            })),
          ...(rest?.blocked ?? []),
        ];
        break;
      }
    }
    return {
      verdict: worstVerdict(migrations.map((migration) => migration.verdict)),
      rows: options.rows,
      thresholds: { maxBlockingMs: options.maxBlockingMs, sampleIntervalMs: options.sampleIntervalMs },
      baseline: replayed,
      tables,
      migrations,
      notRehearsed: notRehearsed.map((blocked) => ({ name: blocked.name, reason: blocked.reason })),
    };
  } finally {
    await sampler.stop();
    await samplerClient.end();
    await stats.end();
    await migrator.close();
  }
}

/**
 * Applies the baseline migrations, recording deploys where their contracts need one, and
 * returns the names of those it applied, in order: one the migrator holds back (a contract
 * behind a pending migration of its scope) is not part of the schema, so not reported as such.
 */
async function replayBaseline(migrator: Migrator, baseline: ReadonlySet<string>): Promise<string[]> {
  const gate = new DeployGateOpener(migrator, 'rehearsal-baseline');
  const replayed: string[] = [];
  for (;;) {
    const result = await migrator.up({ postDeploy: true });
    replayed.push(...result.applied.map((migration) => migration.name));
    if (result.applied.length > 0) gate.ran();
    else if (!(await gate.open(result.blocked.filter((blocked) => baseline.has(blocked.name)))))
      return replayed;
  }
}

/** What rehearsing one migration works with. */
interface RehearsalSession {
  migrator: Migrator;
  steering: MigratorSteering;
  /** The session that snapshots relations; the sampler watches its backend. */
  stats: SqlClient;
  sampler: LockSampler;
  excluded: { schema: string; tables: string[] };
  options: RehearsalOptions;
}

/** Applies `next` alone while pg_locks is sampled, and judges what it did. */
async function rehearseOne(next: PlannedMigration, session: RehearsalSession): Promise<RehearsedMigration> {
  const { migrator, steering, stats, sampler, excluded } = session;
  steering.allowOnly(next.name);
  const before = await snapshotRelations(stats, excluded);
  const fromStatements = await locksFromStatements(stats, next.sql, before.relations);
  const window = sampler.begin();
  const startedAt = performance.now();
  let error: string | undefined;
  let durationMs: number | undefined;
  try {
    const result = await migrator.up({ postDeploy: true });
    durationMs = result.applied[0]?.durationMs;
  } catch (failure) {
    error = failure instanceof Error ? failure.message : String(failure);
  }
  await sampler.end();
  const endedAt = performance.now();
  const after = await snapshotRelations(stats, excluded);
  const { timing } = steering;
  const transactional = timing.transactional ?? next.transactional;
  const locks = withStatementLocks(
    observedLocks(window, before.relations, transactional ? (timing.doneAt ?? endedAt) : undefined),
    error === undefined ? fromStatements : [],
  );
  const rewritten = await rewrittenTables(stats, before, after);
  const judged = judgeMigration(
    { locks, rewritten, error },
    { maxBlockingMs: session.options.maxBlockingMs },
  );
  return {
    seq: next.seq,
    name: next.name,
    phase: next.phase,
    transactional,
    durationMs: durationMs ?? Math.round((timing.doneAt ?? endedAt) - (timing.startAt ?? startedAt)),
    strongestLock: locks[0] ?? null,
    locks,
    rowsRewritten: rewritten.reduce((sum, table) => sum + table.rows, 0),
    rewrittenTables: rewritten,
    verdict: judged.verdict,
    reasons: judged.reasons,
    error: error ?? null,
  };
}

/** The locks seen on relations that existed before the migration: strongest first, tables before indexes, then longest. */
function observedLocks(
  window: LockWindow,
  existing: ReadonlyMap<number, ExistingRelation>,
  releasedAt: number | undefined,
): ObservedLock[] {
  const locks: ObservedLock[] = [];
  for (const seen of window.seen.values()) {
    const relation = existing.get(seen.relation);
    if (!relation) continue;
    const until = releasedAt === undefined ? seen.lastSeenAt : Math.max(releasedAt, seen.lastSeenAt);
    locks.push({
      relation: relation.name,
      relationKind: relation.kind === 'i' || relation.kind === 'I' ? 'index' : 'table',
      mode: seen.mode,
      source: 'observed',
      heldMs: Math.max(0, Math.round(until - seen.firstSeenAt)),
    });
  }
  return sortLocks(locks);
}

/** Adds the locks known from the statements that no sample caught (at that mode or stronger). */
function withStatementLocks(
  observed: ObservedLock[],
  fromStatements: readonly ObservedLock[],
): ObservedLock[] {
  const missed = fromStatements.filter(
    (derived) =>
      !observed.some(
        (seen) => seen.relation === derived.relation && lockRank(seen.mode) >= lockRank(derived.mode),
      ),
  );
  return sortLocks([...observed, ...missed]);
}

function sortLocks(locks: ObservedLock[]): ObservedLock[] {
  const tableFirst = (lock: ObservedLock): number => (lock.relationKind === 'table' ? 0 : 1);
  return locks.sort(
    (a, b) =>
      lockRank(b.mode) - lockRank(a.mode) ||
      tableFirst(a) - tableFirst(b) ||
      (b.heldMs ?? -1) - (a.heldMs ?? -1),
  );
}

/** Names of the migrations up to `baseline` (a seq, a name or a file name), in seq order. */
function baselineFiles(files: readonly MigrationFile[], baseline: string): string[] {
  const seq = /^[0-9]+$/.test(baseline)
    ? Number.parseInt(baseline, 10)
    : files.find((file) => file.name === baseline || file.fileName === baseline)?.seq;
  if (seq === undefined) {
    throw new UsageError(`--baseline ${baseline} is neither a seq number nor a migration in the folder.`);
  }
  return files.filter((file) => file.seq <= seq).map((file) => file.name);
}

/** The migrations the target's history lists as applied. Reads only. */
async function appliedOnTarget(config: CliConfig, target: string): Promise<string[]> {
  const migrator = await openMigrator(config, { connectionString: target });
  try {
    const status = await migrator.status();
    return status.migrations
      .filter((migration) => migration.state === 'applied')
      .map((migration) => migration.name);
  } finally {
    await migrator.close();
  }
}
