import { sqlMigration } from '@strata/migration-fixtures';
import type pg from 'pg';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createMigrator, type Migrator } from '../create-migrator.js';
import type { MigratorOptions } from '../migrator-config.js';
import type { MigratorEvent } from '../migrator-event.js';
import {
  createMigrationsDirectory,
  createTestDatabase,
  type MigrationsDirectory,
  type TestDatabase,
} from '../test-support/test-database.js';

// The shared test server preloads pg_stat_statements (src/test-support/global-setup.ts); each
// test's database creates the extension, or not, as the case needs.
let db: TestDatabase;
let dir: MigrationsDirectory;
let app: pg.Client;
const migrators: Migrator[] = [];
const events: MigratorEvent[] = [];

beforeEach(async () => {
  db = await createTestDatabase();
  dir = await createMigrationsDirectory();
  app = await db.client();
  events.length = 0;
});

afterEach(async () => {
  await Promise.all(migrators.splice(0).map((migrator) => migrator.close()));
  await db.drop();
  await dir.cleanup();
});

function migrator(options: Partial<MigratorOptions> = {}): Migrator {
  const created = createMigrator({
    directory: dir.path,
    connectionString: db.connectionString,
    onEvent: (event) => events.push(event),
    ...options,
  } as MigratorOptions);
  migrators.push(created);
  return created;
}

async function writeCurrencyChange(): Promise<void> {
  await dir.write(
    '001_billing_expand_create_invoices.sql',
    sqlMigration(
      'create table invoices (id bigint generated always as identity primary key, old_currency text, currency text);',
      'drop table invoices;',
    ),
  );
  await dir.write(
    '002_billing_contract_drop_old_currency.sql',
    sqlMigration('alter table invoices drop column old_currency;'),
  );
}

describe('evidence before contract', () => {
  test('up refuses a contract while statements recorded since the deploy mark still use what it drops; a reason overrides it and is recorded', async () => {
    await db.query('create extension pg_stat_statements');
    await writeCurrencyChange();
    expect((await migrator().up()).applied.map((m) => m.seq)).toEqual([1]);
    // The old code, before the deploy: not evidence against the contract.
    await app.query('insert into invoices (old_currency) values ($1)', ['USD']);

    const deploy = await migrator().markDeploy('v2.0.0');
    expect(deploy.evidenceSnapshot).toEqual({ statements: expect.any(Number), indexes: expect.any(Number) });

    // An instance still running the old code after the deploy.
    await app.query('update invoices set old_currency = $1 where id = $2', ['EUR', 1]);
    await app.query('update invoices set old_currency = $1 where id = $2', ['CHF', 1]);
    await app.query('select id, currency from invoices where id = $1', [1]);

    const report = await migrator().evidence('002');
    expect(report).toMatchObject({
      migration: '002_billing_contract_drop_old_currency',
      verdict: 'in-use',
      reason: null,
      deploy: { release: 'v2.0.0' },
      removes: ['drop column invoices.old_currency (line 2)'],
      statements: [
        {
          query: 'update invoices set old_currency = $1 where id = $2',
          callsSinceMark: 2,
          uses: [{ target: 'drop column invoices.old_currency', usage: 'sets invoices.old_currency' }],
        },
      ],
    });
    const [statement] = report.statements;
    expect(statement?.lastSeen.after.getTime()).toBe(report.observedFrom?.getTime());
    expect(statement?.lastSeen.notAfter.getTime()).toBeGreaterThanOrEqual(deploy.markedAt.getTime());

    const refused = await migrator().up({ postDeploy: true });
    expect(refused.applied).toEqual([]);
    expect(refused.blocked).toEqual([
      expect.objectContaining({ name: '002_billing_contract_drop_old_currency', blockedBy: 'evidence' }),
    ]);
    expect(refused.blocked[0]?.reason).toContain(
      '"update invoices set old_currency = $1 where id = $2" — 2 call(s)',
    );
    expect(refused.blocked[0]?.reason).toContain('since deploy v2.0.0 was marked');
    expect(await columnNames('invoices')).toContain('old_currency');

    const reason = 'the last v1 worker was stopped at 14:05; its traffic is the two calls shown';
    const overridden = await migrator().up({ postDeploy: true, override: { evidence: reason } });
    expect(overridden.applied).toEqual([
      expect.objectContaining({
        name: '002_billing_contract_drop_old_currency',
        overrides: [{ check: 'evidence', reason, refused: expect.stringContaining('still in use') }],
      }),
    ]);
    const [row] = await db.query<{ overrides: unknown }>(
      'select overrides from strata_migrations where seq = 2',
    );
    expect(row?.overrides).toEqual([{ check: 'evidence', reason, refused: expect.any(String) }]);
    const status = await migrator().status();
    expect(status.migrations.find((m) => m.seq === 2)?.overrides).toEqual([
      expect.objectContaining({ reason }),
    ]);
  });

  test('statements from before the mark, and new code that no longer uses the column, let the contract run', async () => {
    await db.query('create extension pg_stat_statements');
    await writeCurrencyChange();
    await migrator().up();
    await app.query('insert into invoices (old_currency) values ($1)', ['USD']);
    await app.query('select old_currency from invoices where id = $1', [1]);
    await migrator().markDeploy('v2.0.0');
    await app.query('insert into invoices (currency) values ($1)', ['EUR']);
    await app.query('select * from invoices where id = $1', [1]);

    expect((await migrator().evidence('002_billing_contract_drop_old_currency')).verdict).toBe('clear');
    expect((await migrator().up({ postDeploy: true })).applied.map((m) => m.seq)).toEqual([2]);
    expect(await columnNames('invoices')).toEqual(['id', 'currency']);
  });

  test('a dropped unique index is in use while an upsert infers it or a query scans it', async () => {
    await db.query('create extension pg_stat_statements');
    await dir.write(
      '001_codes_expand_create_codes.sql',
      sqlMigration(
        'create table codes (id bigint generated always as identity primary key, code text not null, hits int not null default 0);\ncreate unique index codes_code_key on codes (code);',
      ),
    );
    await dir.write(
      '002_codes_contract_drop_code_key.sql',
      sqlMigration('drop index concurrently codes_code_key;'),
    );
    await migrator().up();
    await migrator().markDeploy('v3');
    await app.query('set enable_seqscan = off');
    await app.query(
      'insert into codes (code) values ($1) on conflict (code) do update set hits = codes.hits + 1',
      ['a'],
    );
    await app.query('select id from codes where code = $1', ['a']);
    // Index statistics reach shared memory when the backend goes idle; make that now.
    await app.query('select pg_stat_force_next_flush()');

    const report = await migrator().evidence(2);
    expect(report.verdict).toBe('in-use');
    expect(report.statements.map((statement) => statement.uses)).toEqual([
      [{ target: 'drop index codes_code_key', usage: 'ON CONFLICT (code) infers it' }],
    ]);
    expect(report.indexScans).toEqual([
      expect.objectContaining({
        index: 'public.codes_code_key',
        scansSinceMark: expect.any(Number),
        lastScan: expect.any(Date),
      }),
    ]);
    expect(report.indexScans[0]?.scansSinceMark).toBeGreaterThan(0);
  });

  test('without pg_stat_statements the check says so once and the deploy gate decides; `require` refuses', async () => {
    await writeCurrencyChange();
    await dir.write(
      '003_notes_expand_create_notes.sql',
      sqlMigration('create table notes (id bigint, body text);'),
    );
    await dir.write('004_notes_contract_drop_body.sql', sqlMigration('alter table notes drop column body;'));
    await migrator().up();
    const deploy = await migrator().markDeploy('v2');
    expect(deploy.evidenceSnapshot).toEqual({
      unavailable: expect.stringContaining('not created in this database'),
    });

    const required = await migrator({ evidence: 'require' }).up({ postDeploy: true });
    expect(required.applied).toEqual([]);
    expect(required.blocked.map((entry) => [entry.seq, entry.blockedBy])).toEqual([
      [2, 'evidence'],
      [4, 'evidence'],
    ]);
    expect(required.blocked[0]?.reason).toMatch(/no evidence .*pg_stat_statements/);

    const checked = await migrator().up({ postDeploy: true });
    expect(checked.applied.map((m) => m.seq)).toEqual([2, 4]);
    expect(events.filter((event) => event.type === 'evidence-unavailable')).toEqual([
      {
        type: 'evidence-unavailable',
        reason: expect.stringContaining('was marked while the pg_stat_statements'),
      },
    ]);
  });

  test('a contract in the same scope after a held one waits for it', async () => {
    await db.query('create extension pg_stat_statements');
    await writeCurrencyChange();
    await dir.write(
      '003_billing_contract_drop_currency_default.sql',
      sqlMigration('alter table invoices alter column currency drop default;'),
    );
    await migrator().up();
    await migrator().markDeploy('v2');
    await app.query('select old_currency from invoices');
    const result = await migrator().up({ postDeploy: true });
    expect(result.blocked).toEqual([
      expect.objectContaining({ seq: 2, blockedBy: 'evidence' }),
      expect.objectContaining({
        seq: 3,
        blockedBy: 'evidence',
        reason: 'waits for 002_billing_contract_drop_old_currency.sql, held back by the evidence check',
      }),
    ]);
  });
});

async function columnNames(table: string): Promise<string[]> {
  const rows = await db.query<{ column_name: string }>(
    'select column_name from information_schema.columns where table_name = $1 order by ordinal_position',
    [table],
  );
  return rows.map((row) => row.column_name);
}
