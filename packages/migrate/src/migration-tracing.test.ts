import { sqlMigration } from '@strata/migration-fixtures';
import { captureTelemetry, type TelemetryCapture } from '@strata/telemetry/testing';
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import { MigrationFailedError } from './migration-errors.js';
import { advisoryLockKey } from './migrator-lock.js';
import { migratorFixture } from './test-support/migrator-fixture.js';

let capture: TelemetryCapture;
const fixture = migratorFixture({ lockRetryDelay: 20, lint: false });
const { migrator } = fixture;

beforeAll(() => {
  capture = captureTelemetry();
});
afterAll(() => capture?.stop());
beforeEach(() => capture.reset());

type ReadableSpanOf = ReturnType<TelemetryCapture['spans']>[number];

function only<T>(items: T[]): T {
  expect(items).toHaveLength(1);
  return items[0] as T;
}

test('an up run is a span holding the lock span and one span per migration, with phase and scope', async () => {
  await fixture.dir.write('001_billing_expand_invoices.sql', sqlMigration('create table invoices (id int);'));
  // CREATE INDEX CONCURRENTLY cannot run in a transaction: this one runs statement by statement.
  await fixture.dir.write(
    '002_billing_backfill_invoices.sql',
    sqlMigration('create index concurrently invoices_id on invoices (id);'),
  );
  await migrator().up();

  const run = only(capture.spansNamed('migrate.up'));
  expect(run.attributes['db.system.name']).toBe('postgresql');
  // The session's own statements (settings, history) are CLIENT spans beside these.
  const children = capture.childrenOf(run).filter((span) => span.kind !== 2);
  expect(children.map((span) => span.name)).toEqual([
    'migrate.lock',
    'migrate.migration',
    'migrate.migration',
  ]);
  const [lock, first] = children as [ReadableSpanOf, ReadableSpanOf];
  expect(capture.childrenOf(lock).map((span) => span.name)).toContain('SELECT');
  // Each migration's statements are its children, with their SQL.
  expect(capture.childrenOf(first).map((span) => span.attributes['db.query.text'])).toContain(
    'create table invoices (id int)',
  );
  expect(children.slice(1).map((span) => span.attributes)).toEqual([
    {
      'db.system.name': 'postgresql',
      'strata.migration.name': '001_billing_expand_invoices',
      'strata.migration.seq': 1,
      'strata.migration.scope': 'billing',
      'strata.migration.phase': 'expand',
      'strata.migration.direction': 'up',
      'strata.migration.attempts': 1,
      'strata.migration.transactional': true,
    },
    {
      'db.system.name': 'postgresql',
      'strata.migration.name': '002_billing_backfill_invoices',
      'strata.migration.seq': 2,
      'strata.migration.scope': 'billing',
      'strata.migration.phase': 'backfill',
      'strata.migration.direction': 'up',
      'strata.migration.attempts': 1,
      'strata.migration.transactional': false,
    },
  ]);
});

test('waiting for another migrator shows as a lock_wait event on the lock span', async () => {
  await fixture.dir.write('001_a_expand_t.sql', sqlMigration('create table t (a int);', 'drop table t;'));
  const holder = await fixture.db.client();
  const pid = (await holder.query('select pg_backend_pid() as pid')).rows[0].pid as number;
  await holder.query('select pg_advisory_lock($1::bigint)', [
    advisoryLockKey('run:public.strata_migrations'),
  ]);
  // Let it through once the migrator has found the lock taken (its lock-wait event).
  let sawWait!: () => void;
  const waited = new Promise<void>((resolve) => {
    sawWait = resolve;
  });
  const running = migrator({
    lockWaitTimeout: 10_000,
    onEvent: (event) => {
      if (event.type === 'lock-wait') sawWait();
    },
  }).up();
  await waited;
  await holder.query('select pg_advisory_unlock_all()');
  await running;

  const lock = only(capture.spansNamed('migrate.lock'));
  expect(lock.events.map((event) => [event.name, event.attributes])).toEqual([
    [
      'migrate.lock_wait',
      { 'strata.migrate.lock.holder_pid': pid, 'strata.migrate.lock.holder_application': '' },
    ],
  ]);
});

test('waiting for a lock holder is an event on the migration span naming it; the migration that gave up is marked failed', async () => {
  await fixture.db.query('create table t (a int)');
  await fixture.dir.write('001_a_expand_add_b.sql', sqlMigration('alter table t add column b int;'));
  const holder = await fixture.db.client();
  await holder.query('begin');
  await holder.query('lock table t in access share mode');
  const { rows } = await holder.query<{ pid: number }>('select pg_backend_pid() as pid');
  // The migrator waits outside the lock queue while the holder is there, then gives up.
  await expect(migrator({ maxLockWait: 400, lockPollInterval: 50 }).up()).rejects.toBeInstanceOf(
    MigrationFailedError,
  );
  await holder.query('rollback');

  const migration = only(capture.spansNamed('migrate.migration'));
  const blocked = migration.events.filter((event) => event.name === 'migrate.lock_blocked');
  expect(blocked.length).toBeGreaterThan(0);
  expect(blocked[0]?.attributes?.['strata.migrate.blocker_pids']).toBe(String(rows[0]?.pid));
  expect(migration.attributes).toMatchObject({ 'error.type': 'MIGRATION_FAILED' });
  expect(migration.status).toEqual({ code: 2, message: 'MIGRATION_FAILED' });
  expect(only(capture.spansNamed('migrate.up')).status.code).toBe(2);
});

test('a down run has a span per rolled-back migration', async () => {
  await fixture.dir.write('001_a_expand_t.sql', sqlMigration('create table t (a int);', 'drop table t;'));
  await migrator().up();
  capture.reset();
  await migrator().down();
  const run = only(capture.spansNamed('migrate.down'));
  const migration = only(capture.spansNamed('migrate.migration'));
  expect(migration.parentSpanContext?.spanId).toBe(run.spanContext().spanId);
  expect(migration.attributes).toMatchObject({
    'strata.migration.name': '001_a_expand_t',
    'strata.migration.direction': 'down',
    'strata.migration.attempts': 1,
  });
});
