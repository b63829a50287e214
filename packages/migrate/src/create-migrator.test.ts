import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidConfigError, StatementTimeoutError, UniqueViolationError } from '@strata/errors';
import { sqlMigration } from '@strata/migration-fixtures';
import { beforeEach, describe, expect, test } from 'vitest';
import { createMigrator } from './create-migrator.js';
import {
  LockWaitTimeoutError,
  MigrationChecksumError,
  MigrationFailedError,
  MigrationLintError,
  MigrationNameError,
  MigratorLockTimeoutError,
  RollbackRefusedError,
} from './migration-errors.js';
import type { MigratorOptions } from './migrator-config.js';
import type { MigratorEvent } from './migrator-event.js';
import { advisoryLockKey } from './migrator-lock.js';
import { migratorFixture } from './test-support/migrator-fixture.js';
import { rejection } from './test-support/rejection.js';
import {
  columnsOf as columnsOfTable,
  type MigrationsDirectory,
  schemaSnapshot,
  type TestDatabase,
} from './test-support/test-database.js';

const fixture = migratorFixture({ lockRetryDelay: 20 });
const migrator = fixture.migrator;
let db: TestDatabase;
let dir: MigrationsDirectory;
beforeEach(() => {
  ({ db, dir } = fixture);
});

const tableExists = async (name: string): Promise<boolean> =>
  (await db.query<{ present: boolean }>('select to_regclass($1) is not null as present', [name]))[0]
    ?.present === true;

const columnsOf = (table: string): Promise<string[]> => columnsOfTable(db, table);

// A typical expand/contract change of one scope, plus an unrelated scope.
async function writeBillingChange(): Promise<void> {
  await dir.write(
    '001_billing_expand_create_invoices.sql',
    sqlMigration(
      'create table invoices (id bigint generated always as identity primary key, amount int not null, old_currency text);',
      'drop table invoices;',
    ),
  );
  await dir.write(
    '002_billing_expand_add_currency.sql',
    sqlMigration(
      'alter table invoices add column currency text;\nalter table invoices add constraint invoices_currency_not_null check (currency is not null) not valid;',
      'alter table invoices drop constraint if exists invoices_currency_not_null;\nalter table invoices drop column currency;',
    ),
  );
  await dir.write(
    '003_billing_backfill_fill_currency.sql',
    sqlMigration("update invoices set currency = coalesce(old_currency, 'EUR') where currency is null;"),
  );
  await dir.write(
    '004_billing_validate_currency_not_null.sql',
    sqlMigration(
      'alter table invoices validate constraint invoices_currency_not_null;',
      // Undoing VALIDATE: drop the constraint and restore the NOT VALID one the expand added.
      'alter table invoices drop constraint invoices_currency_not_null;\nalter table invoices add constraint invoices_currency_not_null check (currency is not null) not valid;',
    ),
  );
  await dir.write(
    '005_billing_contract_drop_old_currency.sql',
    sqlMigration('alter table invoices drop column old_currency;'),
  );
}

describe('up', () => {
  test('applies pending migrations in seq order and records each in the history', async () => {
    await writeBillingChange();
    const result = await migrator({ appliedBy: 'ci@build-7' }).up();
    expect(result.applied.map((m) => m.name)).toEqual([
      '001_billing_expand_create_invoices',
      '002_billing_expand_add_currency',
      '003_billing_backfill_fill_currency',
      '004_billing_validate_currency_not_null',
    ]);
    expect(await columnsOf('invoices')).toEqual(['id', 'amount', 'old_currency', 'currency']);
    const history = await db.query<Record<string, unknown>>(
      'select seq, name, scope, phase, checksum, applied_at, duration_ms, applied_by, database_user from strata_migrations order by seq',
    );
    const content = await readFile(path.join(dir.path, '002_billing_expand_add_currency.sql'));
    expect(history[1]).toMatchObject({
      seq: 2,
      name: '002_billing_expand_add_currency',
      scope: 'billing',
      phase: 'expand',
      checksum: createHash('sha256').update(content).digest('hex'),
      applied_by: 'ci@build-7',
      database_user: 'postgres',
    });
    expect(history[1]?.applied_at).toBeInstanceOf(Date);
    expect(typeof history[1]?.duration_ms).toBe('number');
    // Running again applies nothing.
    expect((await migrator().up()).applied).toEqual([]);
  });

  test('a failing migration rolls back entirely and stops the run, naming the file and line', async () => {
    await dir.write(
      '001_a_expand_create_t.sql',
      sqlMigration('create table t (id int primary key);', 'drop table t;'),
    );
    await dir.write(
      '002_a_backfill_fill_t.sql',
      sqlMigration('insert into t values (1);\n\ninsert into t values (1);'),
    );
    await dir.write('003_b_expand_create_u.sql', sqlMigration('create table u (id int);', 'drop table u;'));
    const error = await rejection(migrator().up());
    expect(error).toBeInstanceOf(MigrationFailedError);
    const failed = error as MigrationFailedError;
    expect(failed.migration).toBe('002_a_backfill_fill_t.sql');
    expect(failed.line).toBe(4);
    expect(failed.cause).toBeInstanceOf(UniqueViolationError);
    expect(failed.message).toMatch(
      /Migration 002_a_backfill_fill_t.sql \(line 4\) failed: A row with the same key/,
    );
    expect(failed.applied).toEqual([expect.objectContaining({ name: '001_a_expand_create_t' })]);
    expect(await db.query('select * from t')).toEqual([]);
    expect(await tableExists('u')).toBe(false);
    expect((await db.query('select name from strata_migrations')).map((row) => row.name)).toEqual([
      '001_a_expand_create_t',
    ]);
  });

  test('history and deploy tables go to the configured schema and names', async () => {
    await dir.write('001_a_expand_create_t.sql', sqlMigration('create table t (id int);', 'drop table t;'));
    const custom = migrator({ schema: 'ops', historyTable: 'migration_log', deployTable: 'deploy_log' });
    await custom.up();
    await custom.markDeploy('v1');
    expect(await tableExists('ops.migration_log')).toBe(true);
    expect(await tableExists('ops.deploy_log')).toBe(true);
    expect(await tableExists('public.strata_migrations')).toBe(false);
    expect(await db.query('select name from ops.migration_log')).toEqual([{ name: '001_a_expand_create_t' }]);
  });

  test('works on a given Knex instance and leaves its pool usable', async () => {
    await dir.write('001_a_expand_create_t.sql', sqlMigration('create table t (id int);', 'drop table t;'));
    const onKnex = createMigrator({ directory: dir.path, knex: db.knex });
    await onKnex.up();
    await onKnex.close();
    expect((await db.knex.raw('select count(*)::int as n from t')).rows).toEqual([{ n: 0 }]);
    const settings = await db.knex.raw(
      "select current_setting('application_name') as app, current_setting('lock_timeout') as lock_timeout",
    );
    expect(settings.rows[0]).toEqual({ app: '', lock_timeout: '0' });
  });
});

describe('phase order and the deploy gate', () => {
  test('a contract is blocked until a deploy is recorded after its validate, then runs with postDeploy', async () => {
    await writeBillingChange();
    const first = await migrator().up();
    expect(first.blocked).toEqual([
      expect.objectContaining({
        name: '005_billing_contract_drop_old_currency',
        blockedBy: 'deploy-gate',
        reason: expect.stringContaining('deploy mark'),
      }),
    ]);
    // Even --post-deploy does not run it before a deploy is recorded.
    const early = await migrator().up({ postDeploy: true });
    expect(early.applied).toEqual([]);
    expect(early.blocked).toEqual([expect.objectContaining({ blockedBy: 'deploy-gate' })]);
    expect(await columnsOf('invoices')).toContain('old_currency');

    const deploy = await migrator().markDeploy('v2.0.0');
    expect(deploy).toMatchObject({ release: 'v2.0.0', historyHighWater: 4 });
    const withoutFlag = await migrator().up();
    expect(withoutFlag.blocked).toEqual([expect.objectContaining({ blockedBy: 'post-deploy' })]);

    const afterDeploy = await migrator().up({ postDeploy: true });
    expect(afterDeploy.applied.map((m) => m.name)).toEqual(['005_billing_contract_drop_old_currency']);
    expect(await columnsOf('invoices')).not.toContain('old_currency');
    expect((await migrator().listDeploys()).map((d) => d.release)).toEqual(['v2.0.0']);
  });

  test('a deploy recorded before the validate ran does not open the gate', async () => {
    await dir.write(
      '001_billing_expand_add_t.sql',
      sqlMigration(
        'create table t (a bigint, b bigint);\nalter table t add constraint t_a_not_null check (a is not null) not valid;',
        'drop table t;',
      ),
    );
    await migrator().up();
    await migrator().markDeploy('v1');
    await dir.write(
      '002_billing_validate_a_not_null.sql',
      sqlMigration(
        'alter table t validate constraint t_a_not_null;',
        'alter table t drop constraint t_a_not_null;',
      ),
    );
    await dir.write('003_billing_contract_drop_b.sql', sqlMigration('alter table t drop column b;'));
    const result = await migrator().up({ postDeploy: true });
    expect(result.applied.map((m) => m.name)).toEqual(['002_billing_validate_a_not_null']);
    expect(result.blocked).toEqual([
      expect.objectContaining({
        name: '003_billing_contract_drop_b',
        blockedBy: 'deploy-gate',
        reason: expect.stringContaining('validate migration 002_billing_validate_a_not_null'),
      }),
    ]);
  });

  test('a migration whose scope has an earlier phase pending is refused; other scopes run', async () => {
    await dir.write(
      '001_billing_validate_check_t.sql',
      sqlMigration('alter table t validate constraint t_a;', 'alter table t drop constraint t_a;'),
    );
    await dir.write(
      '002_other_expand_create_u.sql',
      sqlMigration('create table u (id int);', 'drop table u;'),
    );
    await dir.write(
      '003_billing_expand_create_t.sql',
      sqlMigration(
        'create table t (a int);\nalter table t add constraint t_a check (a > 0) not valid;',
        'drop table t;',
      ),
    );
    const plan = await migrator().plan();
    expect(plan.migrations.map((m) => m.name)).toEqual([
      '002_other_expand_create_u',
      '003_billing_expand_create_t',
    ]);
    expect(plan.blocked).toEqual([
      expect.objectContaining({
        name: '001_billing_validate_check_t',
        blockedBy: 'phase-order',
        reason: expect.stringContaining('003_billing_expand_create_t.sql pending'),
      }),
    ]);
    const result = await migrator().up();
    expect(result.applied.map((m) => m.name)).toEqual([
      '002_other_expand_create_u',
      '003_billing_expand_create_t',
    ]);
    // With the expand applied, the validate may run.
    expect((await migrator().up()).applied.map((m) => m.name)).toEqual(['001_billing_validate_check_t']);
  });
});

describe('down', () => {
  test('expand up → down → up leaves the same schema', async () => {
    await dir.write(
      '001_shop_expand_create_orders.sql',
      sqlMigration(
        "create type order_state as enum ('new', 'paid');\ncreate table orders (id bigint generated always as identity primary key, state order_state not null default 'new', total numeric(12, 2));",
        'drop table orders;\ndrop type order_state;',
      ),
    );
    await dir.write(
      '002_shop_expand_add_customer.sql',
      sqlMigration(
        'alter table orders add column customer_id bigint;\nalter table orders add constraint orders_total_positive check (total > 0) not valid;\ncreate index concurrently orders_customer_idx on orders (customer_id);',
        'drop index concurrently orders_customer_idx;\nalter table orders drop constraint orders_total_positive;\nalter table orders drop column customer_id;',
      ),
    );
    await migrator().up();
    const before = await schemaSnapshot(db);
    const rolledBack = await migrator().down({ to: 0 });
    expect(rolledBack.rolledBack.map((m) => [m.name, m.action])).toEqual([
      ['002_shop_expand_add_customer', 'down'],
      ['001_shop_expand_create_orders', 'down'],
    ]);
    expect(await tableExists('orders')).toBe(false);
    expect(await db.query('select * from strata_migrations')).toEqual([]);
    await migrator().up();
    expect(await schemaSnapshot(db)).toEqual(before);
  });

  test('without "to" only the last migration is rolled back; "to" accepts a name', async () => {
    await dir.write('001_a_expand_t1.sql', sqlMigration('create table t1 (id int);', 'drop table t1;'));
    await dir.write('002_a_expand_t2.sql', sqlMigration('create table t2 (id int);', 'drop table t2;'));
    await dir.write('003_a_expand_t3.sql', sqlMigration('create table t3 (id int);', 'drop table t3;'));
    await migrator().up();
    expect((await migrator().down()).rolledBack.map((m) => m.name)).toEqual(['003_a_expand_t3']);
    expect((await migrator().down({ to: '001_a_expand_t1.sql' })).rolledBack.map((m) => m.name)).toEqual([
      '002_a_expand_t2',
    ]);
    expect(await tableExists('t1')).toBe(true);
    expect(await tableExists('t2')).toBe(false);
  });

  test('validate runs its down; backfill is a no-op with a note and re-runs on the next up', async () => {
    await writeBillingChange();
    await migrator().up();
    const result = await migrator().down({ to: 2 });
    expect(result.rolledBack).toEqual([
      expect.objectContaining({
        name: '004_billing_validate_currency_not_null',
        action: 'down',
        note: undefined,
      }),
      expect.objectContaining({
        name: '003_billing_backfill_fill_currency',
        action: 'noop',
        note: expect.stringContaining('re-runs it'),
      }),
    ]);
    expect(
      await db.query("select convalidated from pg_constraint where conname = 'invoices_currency_not_null'"),
    ).toEqual([{ convalidated: false }]);
    expect((await migrator().up()).applied.map((m) => m.name)).toEqual([
      '003_billing_backfill_fill_currency',
      '004_billing_validate_currency_not_null',
    ]);
  });

  test('a contract is refused with "restore from backup", before anything is rolled back', async () => {
    await writeBillingChange();
    await migrator().up();
    await migrator().markDeploy('v1');
    await migrator().up({ postDeploy: true });
    const error = await rejection(migrator().down({ to: 3 }));
    expect(error).toBeInstanceOf(RollbackRefusedError);
    expect((error as RollbackRefusedError).message).toMatch(
      /005_billing_contract_drop_old_currency.sql.*Restore from backup/,
    );
    expect(await db.query('select count(*)::int as n from strata_migrations')).toEqual([{ n: 5 }]);
  });

  test('an expand without a down section is refused', async () => {
    await dir.write('001_a_expand_t1.sql', '-- migrate:up\ncreate table t1 (id int);\n');
    await migrator().up();
    const error = await rejection(migrator().down());
    expect(error).toBeInstanceOf(RollbackRefusedError);
    expect((error as RollbackRefusedError).reason).toBe('no-down');
    expect(await tableExists('t1')).toBe(true);
  });
});

describe('checksums', () => {
  test('an applied migration whose file was edited stops the run with its name', async () => {
    await dir.write('001_a_expand_t1.sql', sqlMigration('create table t1 (id int);', 'drop table t1;'));
    await migrator().up();
    await dir.write('001_a_expand_t1.sql', sqlMigration('create table t1 (id bigint);', 'drop table t1;'));
    await dir.write('002_a_expand_t2.sql', sqlMigration('create table t2 (id int);', 'drop table t2;'));
    const error = await rejection(migrator().up());
    expect(error).toBeInstanceOf(MigrationChecksumError);
    expect((error as MigrationChecksumError).changed).toEqual(['001_a_expand_t1.sql']);
    expect(await tableExists('t2')).toBe(false);
    const status = await migrator().status();
    expect(status.migrations.map((m) => [m.name, m.state, m.checksum])).toEqual([
      ['001_a_expand_t1', 'applied', 'changed'],
      ['002_a_expand_t2', 'pending', null],
    ]);
  });

  test('an applied migration whose file disappeared stops the run with its name', async () => {
    await dir.write('001_a_expand_t1.sql', sqlMigration('create table t1 (id int);', 'drop table t1;'));
    await migrator().up();
    await dir.remove('001_a_expand_t1.sql');
    const error = await rejection(migrator().up());
    expect(error).toBeInstanceOf(MigrationChecksumError);
    expect((error as MigrationChecksumError).missing).toEqual(['001_a_expand_t1']);
    const status = await migrator().status();
    expect(status.migrations).toEqual([
      expect.objectContaining({
        name: '001_a_expand_t1',
        fileName: null,
        state: 'applied',
        checksum: 'missing-file',
      }),
    ]);
  });
});

describe('files', () => {
  test('a bad file name or duplicate seq fails before touching the database', async () => {
    await dir.write('001_a_expand_t1.sql', sqlMigration('select 1;'));
    await dir.write('0001_b_expand_t2.sql', sqlMigration('select 1;'));
    const duplicate = await rejection(migrator().up());
    expect(duplicate).toBeInstanceOf(MigrationNameError);
    expect((duplicate as Error).message).toContain('"0001_b_expand_t2.sql" and "001_a_expand_t1.sql"');
    await dir.remove('0001_b_expand_t2.sql');
    await dir.write('002_a_expnd_t2.sql', sqlMigration('select 1;'));
    const bad = await rejection(migrator().up());
    expect((bad as MigrationNameError).rule).toBe('phase');
    expect(await tableExists('strata_migrations')).toBe(false);
    // Other files, such as notes, are ignored.
    await dir.remove('002_a_expnd_t2.sql');
    await dir.write('README.md', '# notes');
    expect((await migrator().up()).applied).toHaveLength(1);
  });

  test('.js migrations export up/down and may opt out of the transaction', async () => {
    await dir.write(
      '001_a_expand_t1.js',
      "export async function up(knex) { await knex.schema.createTable('t1', (t) => { t.increments('id'); }); }\nexport async function down(knex) { await knex.schema.dropTable('t1'); }\n",
    );
    await dir.write(
      '002_a_backfill_t1.js',
      "export const config = { transaction: false };\nexport async function up(knex) { await knex('t1').insert({}); }\n",
    );
    const plan = await migrator().plan();
    expect(plan.migrations.map((m) => [m.name, m.kind, m.transactional, m.sql])).toEqual([
      ['001_a_expand_t1', 'module', true, null],
      ['002_a_backfill_t1', 'module', false, null],
    ]);
    await migrator().up();
    expect(await db.query('select count(*)::int as n from t1')).toEqual([{ n: 1 }]);
    await migrator().down({ to: 0 });
    expect(await tableExists('t1')).toBe(false);
  });

  test('a module migration that throws is rolled back with the history row', async () => {
    await dir.write(
      '001_a_expand_t1.js',
      "export async function up(knex) { await knex.raw('create table t1 (id int)'); throw new Error('boom'); }\n",
    );
    const error = await rejection(migrator().up());
    expect(error).toBeInstanceOf(MigrationFailedError);
    expect((error as Error).message).toContain('boom');
    expect(await tableExists('t1')).toBe(false);
    expect(await db.query('select * from strata_migrations')).toEqual([]);
  });
});

describe('status, plan and new', () => {
  test('status lists every migration with its state, why it is blocked and its checksum', async () => {
    await writeBillingChange();
    const fresh = await migrator().status();
    expect(fresh.migrations.map((m) => m.state)).toEqual([
      'pending',
      'pending',
      'pending',
      'pending',
      'blocked',
    ]);
    expect(await tableExists('strata_migrations')).toBe(false); // status only reads
    await migrator().up();
    const status = await migrator().status();
    expect(status.migrations.map((m) => [m.seq, m.scope, m.phase, m.state, m.checksum])).toEqual([
      [1, 'billing', 'expand', 'applied', 'ok'],
      [2, 'billing', 'expand', 'applied', 'ok'],
      [3, 'billing', 'backfill', 'applied', 'ok'],
      [4, 'billing', 'validate', 'applied', 'ok'],
      [5, 'billing', 'contract', 'blocked', null],
    ]);
    expect(status.migrations[4]).toMatchObject({
      blockedBy: 'deploy-gate',
      reason: expect.stringContaining('004_billing_validate'),
    });
    await migrator().markDeploy('v1');
    const ready = await migrator().status();
    expect(ready.migrations[4]).toMatchObject({
      state: 'pending',
      reason: 'ready: runs with up --post-deploy',
    });
    expect(ready.deploys).toEqual([expect.objectContaining({ release: 'v1', historyHighWater: 4 })]);
    expect(JSON.parse(JSON.stringify(ready)).migrations).toHaveLength(5);
  });

  test('plan shows what up would run, in order, with the SQL and non-transactional statements', async () => {
    await dir.write('001_a_expand_t.sql', sqlMigration('create table t (a int);', 'drop table t;'));
    await dir.write(
      '002_a_expand_t_a_idx.sql',
      sqlMigration('create index concurrently t_a_idx on t (a);', 'drop index concurrently t_a_idx;'),
    );
    const plan = await migrator().plan();
    expect(plan.migrations).toEqual([
      expect.objectContaining({
        name: '001_a_expand_t',
        transactional: true,
        nonTransactional: [],
        sql: 'create table t (a int);',
      }),
      expect.objectContaining({
        name: '002_a_expand_t_a_idx',
        transactional: false,
        nonTransactional: [{ line: 2, reason: 'CREATE INDEX CONCURRENTLY' }],
        sql: 'create index concurrently t_a_idx on t (a);',
      }),
    ]);
    expect(await tableExists('t')).toBe(false);
  });

  test('newMigration writes the next seq with an up/down template that the migrator accepts', async () => {
    await dir.write('007_a_expand_t.sql', sqlMigration('create table t (a int);', 'drop table t;'));
    const created = await migrator().newMigration({
      scope: 'PROJ-12',
      phase: 'validate',
      description: 'Add check on a',
    });
    expect(created).toMatchObject({
      fileName: '008_PROJ-12_validate_add_check_on_a.sql',
      seq: 8,
      phase: 'validate',
    });
    const content = await readFile(created.path, 'utf8');
    expect(content).toMatch(/-- migrate:up\n[\s\S]*-- migrate:down\n/);
    const backfill = await migrator().newMigration({
      scope: 'a',
      phase: 'backfill',
      description: 'fill',
      extension: 'ts',
    });
    expect(backfill.fileName).toBe('009_a_backfill_fill.ts');
    expect(await readFile(backfill.path, 'utf8')).toContain('batchUpdate');
    const status = await migrator().status();
    expect(status.migrations.map((m) => [m.seq, m.state])).toEqual([
      [7, 'pending'],
      [8, 'pending'],
      [9, 'pending'],
    ]);
    const badScope = await rejection(
      migrator().newMigration({ scope: '9x', phase: 'expand', description: 'x' }),
    );
    expect((badScope as MigrationNameError).rule).toBe('scope');
  });
});

describe('lint before up and the schema_design.md gate', () => {
  test('the built-in linter refuses an unsafe pending migration before anything runs; lint: false turns it off', async () => {
    await db.query('create table orders (id bigint primary key, customer_id bigint)');
    await dir.write(
      '001_shop_expand_customer_idx.sql',
      sqlMigration(
        'create index orders_customer_idx on orders (customer_id);',
        'drop index orders_customer_idx;',
      ),
    );
    await dir.write(
      '002_shop_expand_create_notes.sql',
      sqlMigration('create table notes (id bigint primary key, body text);', 'drop table notes;'),
    );
    const error = await rejection(migrator().up());
    expect(error).toBeInstanceOf(MigrationLintError);
    expect((error as MigrationLintError).findings).toEqual([
      expect.objectContaining({
        file: '001_shop_expand_customer_idx.sql',
        line: 2,
        ruleId: 'create-index-without-concurrently',
      }),
    ]);
    expect((error as Error).message).toContain(
      '001_shop_expand_customer_idx.sql:2 [create-index-without-concurrently]',
    );
    expect(await tableExists('notes')).toBe(false);
    expect((await migrator({ lint: false }).up()).applied).toHaveLength(2);
  });

  test('linter warnings are reported as events and do not stop the run', async () => {
    await dir.write(
      '001_shop_expand_create_notes.sql',
      sqlMigration('create table notes (id bigint primary key, body varchar(20));', 'drop table notes;'),
    );
    const events: MigratorEvent[] = [];
    const result = await migrator({ onEvent: (event) => events.push(event) }).up();
    expect(result.applied).toHaveLength(1);
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'lint-warning',
        file: '001_shop_expand_create_notes.sql',
        ruleId: 'prefer-text',
      }),
    );
  });

  test('with designFile, a contract the design places after a gate that has not been passed is blocked', async () => {
    await writeBillingChange();
    await dir.write(
      'schema_design.md',
      [
        '## Migration plan',
        '1. `001_billing_expand_create_invoices.sql`',
        '2. `002_billing_expand_add_currency.sql`',
        '3. `003_billing_backfill_fill_currency.sql`',
        '4. `004_billing_validate_currency_not_null.sql`',
        '5. [CODE DEPLOY: v2.0.0]',
        '6. `005_billing_contract_drop_old_currency.sql`',
        '',
      ].join('\n'),
    );
    const designed = (options: Partial<MigratorOptions> = {}) =>
      migrator({ designFile: path.join(dir.path, 'schema_design.md'), ...options });
    await designed().up();
    // A deploy of another release opens the migrator's own gate but not the design's.
    await designed().markDeploy('v1.9.9');
    const blocked = await designed().up({ postDeploy: true });
    expect(blocked.applied).toEqual([]);
    expect(blocked.blocked).toEqual([
      expect.objectContaining({
        name: '005_billing_contract_drop_old_currency',
        blockedBy: 'guard',
        reason: expect.stringMatching(/^schema_design.md: .*CODE DEPLOY: v2.0.0/),
      }),
    ]);
    await designed().markDeploy('v2.0.0');
    expect((await designed().up({ postDeploy: true })).applied.map((m) => m.name)).toEqual([
      '005_billing_contract_drop_old_currency',
    ]);
  });
});

describe('lint hook', () => {
  test('runs before anything is applied, with the pending migrations, and can stop the run', async () => {
    await dir.write('001_a_expand_t1.sql', sqlMigration('create table t1 (id int);', 'drop table t1;'));
    await migrator().up();
    await dir.write('002_a_expand_t2.sql', sqlMigration('create table t2 (id int);', 'drop table t2;'));
    const seen: string[][] = [];
    const error = await rejection(
      migrator({
        lint: ({ pending, files }) => {
          seen.push(
            pending.map((file) => file.fileName),
            files.map((file) => file.fileName),
          );
          throw new Error('lint: 002_a_expand_t2.sql:2 found a problem');
        },
      }).up(),
    );
    expect((error as Error).message).toMatch(/lint: 002_a_expand_t2.sql:2/);
    expect(seen).toEqual([['002_a_expand_t2.sql'], ['001_a_expand_t1.sql', '002_a_expand_t2.sql']]);
    expect(await tableExists('t2')).toBe(false);
  });
});

describe('configuration', () => {
  test('invalid options name every bad field and never echo the connection string', async () => {
    let error: unknown;
    try {
      createMigrator({
        directory: '',
        connectionString: 'postgres://app:s3cret@db/app',
        schema: '',
        lockTimeout: 'soon',
        lockRetries: -1,
        surprise: true,
      } as unknown as MigratorOptions);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidConfigError);
    const paths = (error as InvalidConfigError).issues.map((issue) => issue.path).sort();
    expect(paths).toEqual(['', 'directory', 'lockRetries', 'lockTimeout', 'schema']);
    expect((error as Error).message).not.toContain('s3cret');
    expect(() => createMigrator({ directory: 'db' })).toThrow(
      /knex: give exactly one of knex or connectionString/,
    );
  });
});

describe('locking', () => {
  test('three migrators started at once: exactly one applies each file', async () => {
    await db.query('create table applied_log (name text not null)');
    for (const name of ['001_a_backfill_one', '002_b_backfill_two', '003_c_backfill_three']) {
      await dir.write(
        `${name}.sql`,
        sqlMigration(`insert into applied_log values ('${name}');\nselect pg_sleep(0.2);`),
      );
    }
    const results = await Promise.all([migrator().up(), migrator().up(), migrator().up()]);
    const appliedNames = results.flatMap((result) => result.applied.map((m) => m.name)).sort();
    expect(appliedNames).toEqual(['001_a_backfill_one', '002_b_backfill_two', '003_c_backfill_three']);
    expect(
      await db.query('select name, count(*)::int as n from applied_log group by name order by name'),
    ).toEqual([
      { name: '001_a_backfill_one', n: 1 },
      { name: '002_b_backfill_two', n: 1 },
      { name: '003_c_backfill_three', n: 1 },
    ]);
    expect(await db.query('select count(*)::int as n from strata_migrations')).toEqual([{ n: 3 }]);
  });

  test('a second migrator waits up to lockWaitTimeout, then fails naming the holder', async () => {
    await dir.write('001_a_expand_t.sql', sqlMigration('create table t (a int);', 'drop table t;'));
    const holder = await db.client();
    const pid = (await holder.query('select pg_backend_pid() as pid')).rows[0].pid as number;
    await holder.query('select pg_advisory_lock($1::bigint)', [
      advisoryLockKey('run:public.strata_migrations'),
    ]);
    const events: MigratorEvent[] = [];
    const error = await rejection(
      migrator({ lockWaitTimeout: 200, onEvent: (event) => events.push(event) }).up(),
    );
    expect(error).toBeInstanceOf(MigratorLockTimeoutError);
    expect((error as MigratorLockTimeoutError).holderPid).toBe(pid);
    expect((error as Error).message).toMatch(
      /Another migrator is running \(held by backend pid \d+.*gave up waiting for the migration lock after 200 ms/,
    );
    expect(events[0]).toEqual({ type: 'lock-wait', holderPid: pid, holderApplication: '' });
    expect(await tableExists('t')).toBe(false);
    // Once the holder is gone, the migrator runs.
    await holder.query('select pg_advisory_unlock_all()');
    expect((await migrator().up()).applied).toHaveLength(1);
  });

  test('a lock request gives way at lock_timeout and retries, so a reader queued behind it gets through', async () => {
    await db.query('create table t (a int); insert into t values (1)');
    // A module: what it locks is unknown beforehand, so it tries at once, with lock_timeout.
    await dir.write(
      '001_a_expand_add_b.js',
      "export async function up(knex) { await knex.raw('alter table t add column b int'); }\nexport async function down(knex) { await knex.raw('alter table t drop column b'); }\n",
    );
    const holder = await db.client();
    await holder.query('begin');
    await holder.query('select * from t'); // holds ACCESS SHARE until commit
    const events: MigratorEvent[] = [];
    let releaseHolder: () => void = () => undefined;
    const holderReleased = new Promise<void>((resolve) => {
      releaseHolder = resolve;
    });
    const running = migrator({
      lockTimeout: 100,
      lockRetries: 50,
      lockRetryDelay: 50,
      lockRetryMaxDelay: 100,
      onEvent: (event) => {
        events.push(event);
        if (event.type === 'lock-timeout-retry') releaseHolder();
      },
    }).up();

    // While the migration waits for its ACCESS EXCLUSIVE lock, a reader that queues behind it
    // still gets through: the migration gives way at lock_timeout instead of blocking traffic.
    await holderReleased;
    const reader = await db.client();
    expect((await reader.query('select count(*)::int as n from t')).rows).toEqual([{ n: 1 }]);
    await holder.query('commit');

    const result = await running;
    expect(result.applied[0]?.attempts).toBeGreaterThan(1);
    expect(events.filter((event) => event.type === 'lock-timeout-retry').length).toBeGreaterThan(0);
    expect(await columnsOf('t')).toEqual(['a', 'b']);
  });

  test('when lock requests keep timing out, the migration fails after lockRetries, each try with a longer lock_timeout', async () => {
    await db.query('create table t (a int)');
    // A module's up() is code: what it will lock is unknown, so there is no waiting for
    // blockers first, only short tries whose lock_timeout doubles.
    await dir.write(
      '001_a_expand_add_b.js',
      "export async function up(knex) { await knex.raw('alter table t add column b int'); }\n",
    );
    const holder = await db.client();
    await holder.query('begin');
    await holder.query('lock table t in access share mode');
    const events: MigratorEvent[] = [];
    const error = await rejection(
      migrator({
        lockTimeout: 20,
        maxLockTimeout: 50,
        lockRetries: 2,
        onEvent: (event) => events.push(event),
      }).up(),
    );
    expect(error).toBeInstanceOf(MigrationFailedError);
    expect((error as MigrationFailedError).cause).toBeInstanceOf(LockWaitTimeoutError);
    expect((error as MigrationFailedError).attempts).toBe(3);
    expect((error as Error).message).toMatch(/gave up waiting for its locks after \d+ ms and 3 attempts/);
    expect(
      events.flatMap((event) => (event.type === 'lock-timeout-retry' ? [event.lockTimeoutMs] : [])),
    ).toEqual([40, 50]);
    await holder.query('rollback');
    expect(await columnsOf('t')).toEqual(['a']);
  });

  test("a migration's lock_timeout follows its locks; SQL directives override it", async () => {
    const settings =
      "current_setting('lock_timeout') as lock_timeout, current_setting('statement_timeout') as statement_timeout";
    // No lock that blocks writes on an existing table: nobody queues behind its waits.
    await dir.write('001_a_expand_data.sql', sqlMigration(`create table seen_data as select ${settings};`));
    // ACCESS EXCLUSIVE on seen_data: the short first attempt.
    await dir.write(
      '002_a_expand_ddl.sql',
      sqlMigration(
        `alter table seen_data add column note text;\ncreate table seen_ddl as select ${settings};`,
      ),
    );
    await dir.write(
      '003_a_expand_directives.sql',
      `-- migrate:lock-timeout 30ms\n-- migrate:statement-timeout 2h\n${sqlMigration(
        `alter table seen_data add column other text;\ncreate table seen_directive as select ${settings};`,
      )}`,
    );
    await migrator().up();
    expect(await db.query('select lock_timeout, statement_timeout from seen_data')).toEqual([
      { lock_timeout: '2s', statement_timeout: '30min' },
    ]);
    expect(await db.query('select * from seen_ddl')).toEqual([
      { lock_timeout: '100ms', statement_timeout: '30min' },
    ]);
    expect(await db.query('select * from seen_directive')).toEqual([
      { lock_timeout: '30ms', statement_timeout: '2h' },
    ]);
  });
});

describe('statement timeout', () => {
  test('a statement running past statement_timeout fails the migration, which rolls back', async () => {
    await db.query('create table marker (id int)');
    await dir.write(
      '001_a_backfill_slow.sql',
      `-- migrate:statement-timeout 100ms\n${sqlMigration('insert into marker values (1);\nselect pg_sleep(5);')}`,
    );
    const error = await rejection(migrator().up());
    expect(error).toBeInstanceOf(MigrationFailedError);
    expect((error as MigrationFailedError).cause).toBeInstanceOf(StatementTimeoutError);
    expect((error as MigrationFailedError).line).toBe(4);
    expect(await db.query('select * from marker')).toEqual([]);
    expect(await db.query('select count(*)::int as n from strata_migrations')).toEqual([{ n: 0 }]);
  });
});

describe('statements that cannot run in a transaction', () => {
  test('CREATE INDEX CONCURRENTLY runs outside a transaction; a failed build leaves an INVALID index that the next run drops and rebuilds', async () => {
    await db.query(
      "create table t (id int primary key, email text); insert into t values (1, 'a'), (2, 'a')",
    );
    await dir.write(
      '002_a_expand_t_email_key.sql',
      sqlMigration(
        'create unique index concurrently if not exists t_email_key on t (email);',
        'drop index concurrently if exists t_email_key;',
      ),
    );
    const events: MigratorEvent[] = [];
    const error = await rejection(migrator({ onEvent: (event) => events.push(event) }).up());
    expect(error).toBeInstanceOf(MigrationFailedError);
    expect((error as MigrationFailedError).cause).toBeInstanceOf(UniqueViolationError);
    expect(events).toContainEqual({
      type: 'migration-start',
      name: '002_a_expand_t_email_key',
      phase: 'expand',
      transactional: false,
    });
    const invalid = await db.query(
      "select i.indisvalid from pg_index i where i.indexrelid = 't_email_key'::regclass",
    );
    expect(invalid).toEqual([{ indisvalid: false }]);

    await db.query("update t set email = 'b' where id = 2");
    const result = await migrator().up();
    expect(result.applied).toEqual([
      expect.objectContaining({
        name: '002_a_expand_t_email_key',
        transactional: false,
        repairedIndexes: ['public.t_email_key'],
      }),
    ]);
    const valid = await db.query(
      "select i.indisvalid from pg_index i where i.indexrelid = 't_email_key'::regclass",
    );
    expect(valid).toEqual([{ indisvalid: true }]);
  });

  test('ALTER TYPE … ADD VALUE runs outside a transaction, so a later migration can use the value', async () => {
    await dir.write(
      '001_a_expand_mood.sql',
      sqlMigration(
        "create type mood as enum ('ok');\ncreate table m (v mood);",
        'drop table m;\ndrop type mood;',
      ),
    );
    await dir.write(
      '002_a_expand_mood_meh.sql',
      sqlMigration("alter type mood add value if not exists 'meh';", ''),
    );
    await dir.write('003_a_backfill_use_meh.sql', sqlMigration("insert into m values ('meh');"));
    const result = await migrator().up();
    expect(result.applied.map((m) => m.transactional)).toEqual([true, false, true]);
    expect(await db.query('select v::text from m')).toEqual([{ v: 'meh' }]);
  });
});
