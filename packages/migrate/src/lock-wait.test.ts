import { setTimeout as sleep } from 'node:timers/promises';
import { sqlMigration } from '@strata/migration-fixtures';
import type pg from 'pg';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { BlockingSession } from './blocking-sessions.js';
import { createMigrator, type Migrator } from './create-migrator.js';
import { LockWaitTimeoutError, MigrationFailedError } from './migration-errors.js';
import type { MigratorOptions } from './migrator-config.js';
import type { MigratorEvent } from './migrator-event.js';
import { rejection } from './test-support/rejection.js';
import {
  columnsOf as columnsOfTable,
  createMigrationsDirectory,
  createTestDatabase,
  type MigrationsDirectory,
  type TestDatabase,
} from './test-support/test-database.js';

let db: TestDatabase;
let dir: MigrationsDirectory;
const migrators: Migrator[] = [];
const stoppers: (() => Promise<void>)[] = [];

beforeEach(async () => {
  db = await createTestDatabase();
  dir = await createMigrationsDirectory();
  await db.query(
    'create table t (id bigint primary key, note text); insert into t select i, null from generate_series(1, 100) i',
  );
});

afterEach(async () => {
  await Promise.all(stoppers.splice(0).map((stop) => stop()));
  await Promise.all(migrators.splice(0).map((migrator) => migrator.close()));
  await db.drop();
  await dir.cleanup();
});

function migrator(options: Partial<MigratorOptions> = {}): Migrator {
  const created = createMigrator({
    directory: dir.path,
    connectionString: db.connectionString,
    lockPollInterval: 20,
    ...options,
  } as MigratorOptions);
  migrators.push(created);
  return created;
}

const columnsOf = (table: string): Promise<string[]> => columnsOfTable(db, table);

/** A session in a transaction that ran `sql` and stays open, as a long report or a stuck job does. */
async function longTransaction(
  applicationName: string,
  sql: string,
): Promise<{ client: pg.Client; pid: number }> {
  const client = await db.client();
  await client.query("select set_config('application_name', $1, false)", [applicationName]);
  const pid = (await client.query('select pg_backend_pid() as pid')).rows[0].pid as number;
  await client.query('begin');
  await client.query(sql);
  return { client, pid };
}

/** Waits until the transaction of `pid` has been open longer than `ms`: it is then a long one to the migrator. */
async function untilOlderThan(pid: number, ms: number): Promise<void> {
  for (;;) {
    const [row] = await db.query<{ old: boolean }>(
      "select clock_timestamp() - xact_start > $2 * interval '1 millisecond' as old from pg_stat_activity where pid = $1",
      [pid, ms],
    );
    if (row?.old) return;
    await sleep(10);
  }
}

/** Readers selecting from `t` in a loop, each on its own session. */
async function startReaders(count: number): Promise<{ pids: number[]; reads: () => number }> {
  let running = true;
  let reads = 0;
  const clients = await Promise.all(Array.from({ length: count }, () => db.client()));
  const pids = await Promise.all(
    clients.map(
      async (client) => (await client.query('select pg_backend_pid() as pid')).rows[0].pid as number,
    ),
  );
  const loops = clients.map(async (client) => {
    while (running) {
      await client.query('select count(*) from t');
      reads++;
      await sleep(2);
    }
  });
  stoppers.push(async () => {
    running = false;
    await Promise.all(loops);
  });
  return { pids, reads: () => reads };
}

interface WaitingLock {
  pid: number;
  applicationName: string;
  blockedBy: number[];
}

/** Samples pg_locks for requests waiting on table `t` until stopped, labelling each sample with `phase()`. */
async function watchLockQueue(
  phase: () => string,
): Promise<{ samples: { phase: string; waiting: WaitingLock[] }[] }> {
  const client = await db.client();
  const samples: { phase: string; waiting: WaitingLock[] }[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const label = phase();
      const { rows } = await client.query(
        `select l.pid, coalesce(a.application_name, '') as application_name, pg_blocking_pids(l.pid) as blocked_by
         from pg_locks l left join pg_stat_activity a on a.pid = l.pid
         where l.locktype = 'relation' and l.relation = 't'::regclass and not l.granted`,
      );
      samples.push({
        phase: label,
        waiting: rows.map((row) => ({
          pid: row.pid,
          applicationName: row.application_name,
          blockedBy: row.blocked_by,
        })),
      });
      await sleep(3);
    }
  })();
  stoppers.push(async () => {
    running = false;
    await loop;
  });
  return { samples };
}

const eventually = async (condition: () => boolean): Promise<void> => {
  while (!condition()) await sleep(10);
};

describe('waiting for locks without stalling traffic', () => {
  test('behind a long transaction, the migrator waits outside the lock queue, names the blocker, and runs once it commits', async () => {
    await dir.write(
      '001_a_expand_add_b.sql',
      sqlMigration('alter table t add column b int;', 'alter table t drop column b;'),
    );
    const blocker = await longTransaction('nightly-report', "update t set note = 'seen' where id = 1");
    await untilOlderThan(blocker.pid, 100); // older than the first attempt's lock_timeout
    const readers = await startReaders(3);
    let phase = 'blocker holds its lock';
    const queue = await watchLockQueue(() => phase);
    const events: MigratorEvent[] = [];
    const running = migrator({ lockTimeout: 100, onEvent: (event) => events.push(event) }).up();

    await eventually(() => events.some((event) => event.type === 'lock-blocked'));
    // Keep the blocker a while longer: the migrator keeps waiting while readers keep reading.
    const samplesBefore = queue.samples.length;
    const readsBefore = readers.reads();
    await eventually(() => queue.samples.length > samplesBefore + 30 && readers.reads() > readsBefore + 30);
    expect(await columnsOf('t')).toEqual(['id', 'note']);

    phase = 'blocker committed';
    await blocker.client.query('commit');
    const result = await running;
    expect(result.applied).toEqual([expect.objectContaining({ name: '001_a_expand_add_b', attempts: 1 })]);
    expect(await columnsOf('t')).toEqual(['id', 'note', 'b']);

    // While the blocker held its lock, nothing waited on t: not the migrator, not a reader.
    const whileBlocked = queue.samples.filter((sample) => sample.phase === 'blocker holds its lock');
    expect(whileBlocked.length).toBeGreaterThan(30);
    expect(whileBlocked.flatMap((sample) => sample.waiting)).toEqual([]);
    expect(events.filter((event) => event.type === 'lock-timeout-retry')).toEqual([]);

    const blocked = events.find((event) => event.type === 'lock-blocked');
    expect(blocked).toMatchObject({ type: 'lock-blocked', name: '001_a_expand_add_b' });
    const named = (blocked as { blockers: BlockingSession[] }).blockers.find(
      (session) => session.pid === blocker.pid,
    );
    expect(named).toMatchObject({
      pid: blocker.pid,
      applicationName: 'nightly-report',
      backendType: 'client backend',
      state: 'idle in transaction',
      query: "update t set note = 'seen' where id = 1",
      locks: [{ relation: 'public.t', mode: 'RowExclusiveLock', granted: true }],
    });
    expect(named?.transactionAgeMs).toBeGreaterThanOrEqual(100);
    expect(readers.pids).not.toContain(blocker.pid);
  });

  test('the wait is bounded: LockWaitTimeoutError names the blocker, with passwords masked, and nothing is applied', async () => {
    await dir.write(
      '001_a_expand_add_b.sql',
      sqlMigration('alter table t add column b int;', 'alter table t drop column b;'),
    );
    const blocker = await longTransaction(
      'stuck-job',
      "update t set note = 'postgres://app:s3cret@db/app' where id = 2",
    );
    await untilOlderThan(blocker.pid, 50);
    const error = await rejection(migrator({ lockTimeout: 50, maxLockWait: 300 }).up());

    expect(error).toBeInstanceOf(MigrationFailedError);
    const cause = (error as MigrationFailedError).cause;
    expect(cause).toBeInstanceOf(LockWaitTimeoutError);
    const timeout = cause as LockWaitTimeoutError;
    expect(timeout.code).toBe('MIGRATION_LOCK_WAIT_TIMEOUT');
    expect(timeout.locks).toEqual(['ACCESS EXCLUSIVE on t']);
    expect(timeout.attempts).toBe(0); // it never joined the lock queue
    expect(timeout.blockers).toEqual([
      expect.objectContaining({
        pid: blocker.pid,
        applicationName: 'stuck-job',
        query: "update t set note = 'postgres://app:***@db/app' where id = 2",
      }),
    ]);
    expect((error as Error).message).toMatch(
      new RegExp(
        `001_a_expand_add_b.sql failed: gave up waiting for its locks \\(ACCESS EXCLUSIVE on t\\) after \\d+ ms and 0 attempts: blocked by pid ${blocker.pid} \\("stuck-job"; idle in transaction; transaction open [\\d.]+ s; holds RowExclusiveLock on public.t\\)`,
      ),
    );
    expect((error as Error).message).not.toContain('s3cret');
    expect(await columnsOf('t')).toEqual(['id', 'note']);
    await blocker.client.query('rollback');
  });

  test('DROP TABLE also waits for long transactions on the tables its foreign keys reference', async () => {
    await db.query('create table child (id bigint primary key, t_id bigint references t (id))');
    await dir.write('001_a_contract_drop_child.sql', sqlMigration('drop table child;'));
    // Dropping child removes its foreign key's triggers from t: ACCESS EXCLUSIVE on t too.
    const reader = await longTransaction('slow-reader', 'select count(*) from t');
    await untilOlderThan(reader.pid, 100);
    const events: MigratorEvent[] = [];
    const running = migrator({ lint: false, onEvent: (event) => events.push(event) });
    await running.markDeploy('v1');
    const up = running.up({ postDeploy: true });
    await eventually(() => events.some((event) => event.type === 'lock-blocked'));
    const blocked = events.find((event) => event.type === 'lock-blocked') as { blockers: BlockingSession[] };
    expect(blocked.blockers.find((session) => session.pid === reader.pid)?.locks).toEqual([
      { relation: 'public.t', mode: 'AccessShareLock', granted: true },
    ]);
    await reader.client.query('commit');
    expect((await up).applied.map((m) => m.name)).toEqual(['001_a_contract_drop_child']);
  });

  test('CREATE INDEX CONCURRENTLY runs without lock_timeout: it waits for an older writer instead of failing', async () => {
    await dir.write(
      '001_a_expand_index_note.sql',
      sqlMigration(
        'create index concurrently t_note_idx on t (note);',
        'drop index concurrently t_note_idx;',
      ),
    );
    const writer = await longTransaction('slow-writer', "update t set note = 'w' where id = 3");
    const events: MigratorEvent[] = [];
    const up = migrator({ lockTimeout: 50, onEvent: (event) => events.push(event) }).up();
    // The build waits for the writer's transaction (a lock wait), here four times the
    // migrator's lock_timeout, and carries on when it commits.
    for (;;) {
      const [row] = await db.query<{ waited: boolean }>(
        `select exists (select 1 from pg_stat_activity
                        where application_name = 'strata-migrate' and wait_event_type = 'Lock'
                          and clock_timestamp() - query_start > interval '200 milliseconds') as waited`,
      );
      if (row?.waited) break;
      await sleep(10);
    }
    await writer.client.query('commit');
    expect((await up).applied).toEqual([
      expect.objectContaining({ name: '001_a_expand_index_note', transactional: false, attempts: 1 }),
    ]);
    expect(events.filter((event) => event.type === 'lock-timeout-retry')).toEqual([]);
  });
});
