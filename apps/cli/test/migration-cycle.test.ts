import { readFile, writeFile } from 'node:fs/promises';
import { sqlMigration } from '@strata/migration-fixtures';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createTempFolder,
  createTestDatabase,
  type StrataRun,
  strata,
  type TempFolder,
  type TestDatabase,
} from './strata-harness.js';

let db: TestDatabase;
let folder: TempFolder;

beforeAll(async () => {
  db = await createTestDatabase('cycle');
  folder = await createTempFolder();
});

afterAll(async () => {
  await db?.drop();
  await folder?.cleanup();
});

const columns = async (table: string): Promise<string[]> =>
  (
    await db.query<{ column_name: string }>(
      'select column_name from information_schema.columns where table_name = $1 order by ordinal_position',
      [table],
    )
  ).map((row) => row.column_name);

interface NewFile {
  ok: boolean;
  file: { path: string; fileName: string; seq: number; phase: string };
}

describe('a whole expand → backfill → validate → deploy mark → contract cycle, driven through the CLI', () => {
  test('each phase runs when its rules allow, the deploy gate holds contracts back until a deploy is recorded', async () => {
    const dir = `${folder.path}/cycle`;
    const env = { DATABASE_URL: db.url };
    const run = (...args: string[]): Promise<StrataRun> => strata([...args, '--dir', dir], { env });
    const create = async (
      scope: string,
      phase: string,
      description: string,
      body: string,
    ): Promise<string> => {
      const created = await run('migrate', 'new', '--scope', scope, '--phase', phase, description, '--json');
      expect(created.code).toBe(0);
      const file = created.json<NewFile>().file;
      // The template has the phase's hints and both markers; the test writes the SQL into it.
      expect(await readFile(file.path, 'utf8')).toContain('-- migrate:up');
      await writeFile(file.path, body);
      return file.fileName;
    };

    // The table exists and holds rows before the change starts.
    expect(
      await create(
        'orders',
        'expand',
        'create orders',
        sqlMigration(
          'CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, amount_cents bigint NOT NULL, currency_code text);',
          'DROP TABLE orders;',
        ),
      ),
    ).toBe('001_orders_expand_create_orders.sql');
    expect((await run('migrate', 'up')).code).toBe(0);
    await db.query(
      "insert into orders (amount_cents, currency_code) select g, case when g % 2 = 0 then 'USD' end from generate_series(1, 500) g",
    );

    await create(
      'billing',
      'expand',
      'add currency',
      sqlMigration(
        // The default gives the rows the deployed code inserts (it does not know the column) a currency.
        "ALTER TABLE orders ADD COLUMN currency text;\nALTER TABLE orders ALTER COLUMN currency SET DEFAULT 'EUR';",
        'ALTER TABLE orders DROP COLUMN currency;',
      ),
    );
    await create(
      'billing',
      'backfill',
      'fill currency',
      sqlMigration(
        "UPDATE orders SET currency = coalesce(currency_code, 'EUR') WHERE id IN (SELECT id FROM orders WHERE currency IS NULL LIMIT 5000);",
      ),
    );
    // Added NOT VALID after the backfill, then validated in a migration of its own, so the
    // validation scan holds no lock that blocks writes.
    await create(
      'billing',
      'validate',
      'add currency check',
      sqlMigration(
        'ALTER TABLE orders ADD CONSTRAINT orders_currency_nn CHECK (currency IS NOT NULL) NOT VALID;',
        'ALTER TABLE orders DROP CONSTRAINT orders_currency_nn;',
      ),
    );
    await create(
      'billing',
      'validate',
      'require currency',
      sqlMigration(
        'ALTER TABLE orders VALIDATE CONSTRAINT orders_currency_nn;',
        'ALTER TABLE orders DROP CONSTRAINT orders_currency_nn;\nALTER TABLE orders ADD CONSTRAINT orders_currency_nn CHECK (currency IS NOT NULL) NOT VALID;',
      ),
    );
    expect(
      await create(
        'billing',
        'contract',
        'drop currency code',
        sqlMigration('ALTER TABLE orders DROP COLUMN currency_code;'),
      ),
    ).toBe('006_billing_contract_drop_currency_code.sql');

    const lint = await run('migrate', 'lint', '--json');
    expect(lint.code).toBe(0);
    expect(lint.json()).toMatchObject({ ok: true, files: 6, errors: 0, findings: [] });

    const before = await run('migrate', 'status', '--json');
    expect(before.code).toBe(0);
    const status = before.json<{
      ok: boolean;
      counts: Record<string, number>;
      migrations: { name: string; state: string; blockedBy: string | null; checksum: string | null }[];
    }>();
    expect(status.ok).toBe(true);
    expect(status.counts).toEqual({ applied: 1, pending: 4, blocked: 1 });
    expect(status.migrations.map((m) => [m.name, m.state, m.blockedBy])).toEqual([
      ['001_orders_expand_create_orders', 'applied', null],
      ['002_billing_expand_add_currency', 'pending', null],
      ['003_billing_backfill_fill_currency', 'pending', null],
      ['004_billing_validate_add_currency_check', 'pending', null],
      ['005_billing_validate_require_currency', 'pending', null],
      ['006_billing_contract_drop_currency_code', 'blocked', 'deploy-gate'],
    ]);

    const plan = await run('migrate', 'plan', '--json');
    expect(plan.code).toBe(0);
    const planned = plan.json<{
      migrations: { name: string; transactional: boolean; sql: string }[];
      blocked: { name: string; blockedBy: string }[];
    }>();
    expect(planned.migrations.map((m) => m.name)).toEqual([
      '002_billing_expand_add_currency',
      '003_billing_backfill_fill_currency',
      '004_billing_validate_add_currency_check',
      '005_billing_validate_require_currency',
    ]);
    expect(planned.migrations[0]?.sql).toContain('ADD COLUMN currency text');
    expect(planned.blocked).toMatchObject([
      { name: '006_billing_contract_drop_currency_code', blockedBy: 'deploy-gate' },
    ]);

    // Before the deploy: expand, backfill and validate run; the contract waits.
    const up = await run('migrate', 'up', '--json');
    expect(up.code).toBe(0);
    const applied = up.json<{
      applied: { name: string; phase: string }[];
      blocked: { blockedBy: string }[];
    }>();
    expect(applied.applied.map((m) => m.phase)).toEqual(['expand', 'backfill', 'validate', 'validate']);
    expect(applied.blocked).toMatchObject([{ blockedBy: 'deploy-gate' }]);
    expect(await db.query('select count(*)::int as missing from orders where currency is null')).toEqual([
      { missing: 0 },
    ]);
    expect(await db.query("select count(*)::int as eur from orders where currency = 'EUR'")).toEqual([
      { eur: 250 },
    ]);
    expect(
      await db.query("select convalidated from pg_constraint where conname = 'orders_currency_nn'"),
    ).toEqual([{ convalidated: true }]);

    // up --post-deploy before a deploy is recorded: blocked by the gate, exit 3, nothing dropped.
    const early = await run('migrate', 'up', '--post-deploy', '--json');
    expect(early.code).toBe(3);
    expect(early.json()).toMatchObject({
      ok: false,
      applied: [],
      blocked: [{ name: '006_billing_contract_drop_currency_code', blockedBy: 'deploy-gate' }],
    });
    expect(await columns('orders')).toContain('currency_code');
    const earlyHuman = await run('migrate', 'up', '--post-deploy');
    expect(earlyHuman.code).toBe(3);
    expect(earlyHuman.stderr).toContain(
      'Blocked by the deploy gate: 006_billing_contract_drop_currency_code',
    );

    const mark = await run('deploy', 'mark', 'v2.4.0', '--json');
    expect(mark.code).toBe(0);
    expect(mark.json()).toMatchObject({
      ok: true,
      deploy: { id: 1, release: 'v2.4.0', historyHighWater: 5 },
    });
    const deploys = await run('deploy', 'list', '--json');
    expect(deploys.json<{ deploys: { release: string }[] }>().deploys.map((d) => d.release)).toEqual([
      'v2.4.0',
    ]);

    // After the deploy the contract runs, and only with --post-deploy.
    const plain = await run('migrate', 'up', '--json');
    expect(plain.code).toBe(0);
    expect(plain.json()).toMatchObject({ applied: [], blocked: [{ blockedBy: 'post-deploy' }] });
    const contract = await run('migrate', 'up', '--post-deploy', '--json');
    expect(contract.code).toBe(0);
    expect(contract.json()).toMatchObject({
      ok: true,
      applied: [{ name: '006_billing_contract_drop_currency_code', phase: 'contract' }],
      blocked: [],
    });
    expect(await columns('orders')).toEqual(['id', 'amount_cents', 'currency']);

    const after = (await run('migrate', 'status', '--json')).json<typeof status>();
    expect(after.counts).toEqual({ applied: 6, pending: 0, blocked: 0 });
    expect(after.migrations.every((m) => m.checksum === 'ok')).toBe(true);

    // A contract cannot be rolled back: refused by rule, exit 3, nothing changes.
    const down = await run('migrate', 'down', '--json');
    expect(down.code).toBe(3);
    expect(down.json()).toMatchObject({
      ok: false,
      error: {
        code: 'ROLLBACK_REFUSED',
        migration: '006_billing_contract_drop_currency_code.sql',
        reason: 'contract',
      },
    });
    expect(await columns('orders')).toEqual(['id', 'amount_cents', 'currency']);
  }, 180_000);
});

describe('rollback and checksums', () => {
  test('down rolls back an expand by its down section; an edited applied file stops status and up (exit 1)', async () => {
    const own = await createTestDatabase('rollback');
    try {
      const env = { DATABASE_URL: own.url };
      const first = await folder.write(
        'rollback/001_items_expand_create_items.sql',
        sqlMigration('CREATE TABLE items (id bigint PRIMARY KEY);', 'DROP TABLE items;'),
      );
      const dir = first.slice(0, first.lastIndexOf('/'));
      await folder.write(
        'rollback/002_items_expand_add_note.sql',
        sqlMigration('ALTER TABLE items ADD COLUMN note text;', 'ALTER TABLE items DROP COLUMN note;'),
      );
      expect((await strata(['migrate', 'up', '--dir', dir], { env })).code).toBe(0);
      const itemColumns = async () =>
        (
          await own.query<{ column_name: string }>(
            "select column_name from information_schema.columns where table_name = 'items' order by ordinal_position",
          )
        ).map((row) => row.column_name);
      expect(await itemColumns()).toEqual(['id', 'note']);

      const down = await strata(['migrate', 'down', '--dir', dir, '--json'], { env });
      expect(down.code).toBe(0);
      expect(down.json()).toMatchObject({
        ok: true,
        rolledBack: [{ name: '002_items_expand_add_note', action: 'down' }],
      });
      expect(await itemColumns()).toEqual(['id']);
      expect((await strata(['migrate', 'up', '--dir', dir], { env })).code).toBe(0);
      expect(await itemColumns()).toEqual(['id', 'note']);

      await writeFile(
        first,
        sqlMigration('CREATE TABLE items (id bigint PRIMARY KEY, extra int);', 'DROP TABLE items;'),
      );
      const status = await strata(['migrate', 'status', '--dir', dir, '--json'], { env });
      expect(status.code).toBe(1);
      expect(status.json()).toMatchObject({
        ok: false,
        migrations: [{ name: '001_items_expand_create_items', checksum: 'changed' }, { checksum: 'ok' }],
      });
      const up = await strata(['migrate', 'up', '--dir', dir], { env });
      expect(up.code).toBe(1);
      expect(up.stderr).toContain('changed after being applied: 001_items_expand_create_items.sql');
    } finally {
      await own.drop();
    }
  }, 90_000);
});

describe('TypeScript migrations', () => {
  test('a .ts backfill with batchUpdate runs under `migrate up` on this Node, through tsx', async () => {
    const own = await createTestDatabase('ts');
    try {
      const env = { DATABASE_URL: own.url };
      await folder.write(
        'typescript/001_users_expand_create_users.sql',
        sqlMigration(
          'CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, email_lower text);',
          'DROP TABLE users;',
        ),
      );
      const dir = `${folder.path}/typescript`;
      expect((await strata(['migrate', 'up', '--dir', dir], { env })).code).toBe(0);
      await own.query(
        "insert into users (id, email) select g, 'User' || g || '@Example.com' from generate_series(1, 250) g",
      );
      await folder.write(
        'typescript/002_users_backfill_email_lower.ts',
        `import type { Knex } from 'knex';
import { batchUpdate } from '@strata/migrate';

export const config = { transaction: false };

export async function up(knex: Knex): Promise<void> {
  await batchUpdate(knex, {
    table: 'users',
    set: { email_lower: knex.raw('lower(email)') },
    where: { email_lower: null },
    batchSize: 100,
  });
}
`,
      );
      const up = await strata(['migrate', 'up', '--dir', dir, '--json'], { env });
      expect(up.code).toBe(0);
      expect(up.json()).toMatchObject({
        applied: [{ name: '002_users_backfill_email_lower', phase: 'backfill', transactional: false }],
      });
      expect(
        await own.query(
          "select count(*)::int as done from users where email_lower = lower(email) and email_lower like 'user%@example.com'",
        ),
      ).toEqual([{ done: 250 }]);
    } finally {
      await own.drop();
    }
  }, 60_000);
});
