import { sqlMigration } from '@strata/migration-fixtures';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  createTempFolder,
  createTestDatabase,
  type StrataRun,
  strata,
  type TempFolder,
  type TestDatabase,
} from './strata-harness.js';

// The shared test server preloads pg_stat_statements (test/global-setup.ts).
let db: TestDatabase;
let folder: TempFolder;
let app: pg.Client;

beforeEach(async () => {
  db = await createTestDatabase('evidence');
  folder = await createTempFolder();
  app = new pg.Client({ connectionString: db.url });
  await app.connect();
});

afterEach(async () => {
  await app.end();
  await db.drop();
  await folder.cleanup();
});

const cli = (...args: string[]): Promise<StrataRun> =>
  strata([...args, '--dir', folder.path], { env: { DATABASE_URL: db.url } });

interface EvidenceDocument {
  ok: boolean;
  verdict: string;
  reason: string | null;
  removes: string[];
  statements: { query: string; callsSinceMark: number; uses: { target: string; usage: string }[] }[];
}

describe('evidence before contract', () => {
  test('migrate evidence shows what up --post-deploy refuses; --override-evidence runs it and records the reason', async () => {
    await db.query('create extension pg_stat_statements');
    await folder.write(
      '001_billing_expand_create_invoices.sql',
      sqlMigration(
        'create table invoices (id bigint generated always as identity primary key, old_code text, code text);',
      ),
    );
    await folder.write(
      '002_billing_contract_drop_old_code.sql',
      sqlMigration('alter table invoices drop column old_code;'),
    );
    expect((await cli('migrate', 'up')).code).toBe(0);

    const mark = await cli('deploy', 'mark', 'v2', '--json');
    expect(mark.json()).toMatchObject({
      deploy: { release: 'v2', evidenceSnapshot: { statements: expect.any(Number) } },
    });
    await app.query('insert into invoices (old_code) values ($1)', ['A']);

    const evidence = await cli('migrate', 'evidence', '002', '--json');
    expect(evidence.code).toBe(3);
    expect(evidence.json<EvidenceDocument>()).toMatchObject({
      ok: false,
      verdict: 'in-use',
      removes: ['drop column invoices.old_code (line 2)'],
      statements: [
        {
          query: 'insert into invoices (old_code) values ($1)',
          callsSinceMark: 1,
          uses: [{ target: 'drop column invoices.old_code', usage: 'writes invoices.old_code' }],
        },
      ],
    });
    const shown = await cli('migrate', 'evidence', '002_billing_contract_drop_old_code.sql');
    expect(shown.code).toBe(3);
    expect(shown.stdout).toContain('in use insert into invoices (old_code) values ($1)');
    expect(shown.stdout).toMatch(
      /1 call since the mark, last seen between .+Z and .+Z; writes invoices\.old_code/,
    );
    expect(shown.stdout).toContain('run up with --override-evidence "<reason>"');

    const refused = await cli('migrate', 'up', '--post-deploy');
    expect(refused.code).toBe(3);
    expect(refused.stdout).toContain('blocked 002_billing_contract_drop_old_code (evidence)');
    expect(refused.stderr).toContain('Refused (evidence): 002_billing_contract_drop_old_code.');

    const blank = await cli('migrate', 'up', '--post-deploy', '--override-evidence', ' ');
    expect(blank.code).toBe(2);
    const reason = 'the importer still writing old_code was retired at 14:05';
    const overridden = await cli('migrate', 'up', '--post-deploy', '--override-evidence', reason, '--json');
    expect(overridden.code).toBe(0);
    expect(overridden.json()).toMatchObject({
      applied: [{ seq: 2, overrides: [{ check: 'evidence', reason }] }],
    });
    const [row] = await db.query<{ overrides: { reason: string }[] }>(
      'select overrides from strata_migrations where seq = 2',
    );
    expect(row?.overrides[0]?.reason).toBe(reason);
  }, 120_000);

  test('without pg_stat_statements in the database the mark and up say so, and the gate decides', async () => {
    await folder.write(
      '001_notes_expand_create_notes.sql',
      sqlMigration('create table notes (id bigint, body text);'),
    );
    await folder.write(
      '002_notes_contract_drop_body.sql',
      sqlMigration('alter table notes drop column body;'),
    );
    await cli('migrate', 'up');
    const mark = await cli('deploy', 'mark', 'v2');
    expect(mark.stderr).toContain('No statistics snapshot: the pg_stat_statements extension is not created');
    const up = await cli('migrate', 'up', '--post-deploy');
    expect(up.code).toBe(0);
    expect(up.stderr.match(/no evidence/g)).toHaveLength(1);
    expect(up.stdout).toContain('applied 002_notes_contract_drop_body');
  }, 120_000);
});

describe('the applied history is checked for order', () => {
  test('up exits 3 on a file numbered below the last applied one of its scope; --allow-out-of-order runs it', async () => {
    await folder.write(
      '001_billing_expand_create_invoices.sql',
      sqlMigration('create table invoices (id bigint);'),
    );
    await folder.write(
      '003_billing_expand_add_total.sql',
      sqlMigration('alter table invoices add column total int;'),
    );
    expect((await cli('migrate', 'up')).code).toBe(0);
    await folder.write(
      '002_billing_expand_add_note.sql',
      sqlMigration('alter table invoices add column note text;'),
    );

    const held = await cli('migrate', 'up');
    expect(held.code).toBe(3);
    expect(held.stderr).toContain('Refused (out-of-order): 002_billing_expand_add_note.');
    expect(held.stderr).toContain('strata migrate renumber --base <ref>');
    const status = await cli('migrate', 'status', '--json');
    expect(
      status.json<{ migrations: { seq: number; blockedBy: string | null }[] }>().migrations[1],
    ).toMatchObject({
      seq: 2,
      blockedBy: 'out-of-order',
    });

    const reason = 'note is independent of total';
    const allowed = await cli('migrate', 'up', '--allow-out-of-order', reason);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain('002_billing_expand_add_note ran over the out-of-order check');
    const [row] = await db.query<{ overrides: { check: string; reason: string }[] }>(
      'select overrides from strata_migrations where seq = 2',
    );
    expect(row?.overrides).toEqual([{ check: 'out-of-order', reason, refused: expect.any(String) }]);
  }, 120_000);
});
