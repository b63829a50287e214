import { sqlMigration } from '@strata/migration-fixtures';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createTempFolder,
  createTestDatabase,
  strata,
  type TempFolder,
  type TestDatabase,
} from './strata-harness.js';

let folder: TempFolder;

beforeAll(async () => {
  folder = await createTempFolder();
});

afterAll(async () => {
  await folder?.cleanup();
});

interface LintDocument {
  ok: boolean;
  files: number;
  errors: number;
  warnings: number;
  findings: {
    file: string;
    line: number;
    ruleId: string;
    severity: string;
    message: string;
    safeAlternative: string;
  }[];
}

describe('migrate lint (no database)', () => {
  test('errors exit 3 with each finding at file:line with its rule and the safe alternative', async () => {
    const dir = `${folder.path}/lint-errors`;
    await folder.write(
      'lint-errors/001_shop_expand_orders_index.sql',
      sqlMigration(
        'ALTER TABLE orders ADD COLUMN note text;\nCREATE INDEX orders_note_idx ON orders (note);',
        'DROP INDEX orders_note_idx;',
      ),
    );
    await folder.write(
      'lint-errors/002_shop_expand_drop_legacy.sql',
      sqlMigration('ALTER TABLE orders DROP COLUMN legacy;'),
    );
    const run = await strata(['migrate', 'lint', '--dir', dir, '--json']);
    expect(run.code).toBe(3);
    const document = run.json<LintDocument>();
    expect(document).toMatchObject({ ok: false, files: 2, errors: 2, warnings: 0 });
    expect(document.findings.map((f) => [f.file, f.line, f.ruleId, f.severity])).toEqual([
      ['001_shop_expand_orders_index.sql', 3, 'create-index-without-concurrently', 'error'],
      ['002_shop_expand_drop_legacy.sql', 2, 'drop-outside-contract', 'error'],
    ]);
    expect(document.findings[0]?.safeAlternative).toContain('CREATE INDEX CONCURRENTLY');

    const human = await strata(['migrate', 'lint', '--dir', dir]);
    expect(human.code).toBe(3);
    expect(human.stdout).toContain(
      '001_shop_expand_orders_index.sql:3:1  error  create-index-without-concurrently',
    );
    expect(human.stdout).toContain('2 errors, 0 warnings in 2 SQL migrations.');

    // --since leaves older files' findings out.
    const since = await strata(['migrate', 'lint', '--dir', dir, '--since', '2', '--json']);
    expect(since.json<LintDocument>().findings.map((f) => f.file)).toEqual([
      '002_shop_expand_drop_legacy.sql',
    ]);
  });

  test('warnings alone pass (exit 0)', async () => {
    await folder.write(
      'lint-warnings/001_shop_expand_create_notes.sql',
      sqlMigration('CREATE TABLE notes (id bigint PRIMARY KEY, body varchar(200));', 'DROP TABLE notes;'),
    );
    const run = await strata(['migrate', 'lint', '--dir', `${folder.path}/lint-warnings`, '--json']);
    expect(run.code).toBe(0);
    expect(run.json<LintDocument>()).toMatchObject({
      ok: true,
      errors: 0,
      warnings: 1,
      findings: [{ severity: 'warning' }],
    });
  });

  test('a file name that breaks the naming rules is a finding, not a crash', async () => {
    await folder.write('lint-names/1_shop_expand_x.sql', sqlMigration('SELECT 1;'));
    const run = await strata(['migrate', 'lint', '--dir', `${folder.path}/lint-names`, '--json']);
    expect(run.code).toBe(3);
    expect(run.json<LintDocument>().findings).toMatchObject([
      { file: '1_shop_expand_x.sql', ruleId: 'invalid-migration-name' },
    ]);
  });
});

describe('migrate check-design (no database)', () => {
  const design = `# PROJ-7

## Migration plan

1. \`001_PROJ-7_expand_add_currency.sql\`
2. \`002_PROJ-7_backfill_currency.sql\`
3. [CODE DEPLOY: v2]
4. \`003_PROJ-7_contract_drop_code.sql\`
`;

  test('a folder that matches the design passes; a missing or misplaced migration exits 3', async () => {
    await folder.write('design/schema_design.md', design);
    await folder.write('design/migrations/001_PROJ-7_expand_add_currency.sql', sqlMigration('SELECT 1;'));
    await folder.write('design/migrations/002_PROJ-7_backfill_currency.sql', sqlMigration('SELECT 1;'));
    await folder.write('design/migrations/003_PROJ-7_contract_drop_code.sql', sqlMigration('SELECT 1;'));
    const cwd = `${folder.path}/design`;
    const ok = await strata(['migrate', 'check-design', '--json'], { cwd });
    expect(ok.code).toBe(0);
    expect(ok.json()).toMatchObject({ ok: true, planned: 3, gates: 1, findings: [] });

    await folder.remove('design/migrations/002_PROJ-7_backfill_currency.sql');
    await folder.write('design/migrations/002_PROJ-7_validate_currency.sql', sqlMigration('SELECT 1;'));
    const bad = await strata(['migrate', 'check-design', '--json', '--design', 'schema_design.md'], { cwd });
    expect(bad.code).toBe(3);
    expect(bad.json<{ findings: { kind: string; fileName: string }[] }>().findings).toEqual([
      expect.objectContaining({ kind: 'wrong-phase', fileName: '002_PROJ-7_validate_currency.sql' }),
    ]);
  });

  test('no design anywhere is a usage error', async () => {
    const run = await strata(['migrate', 'check-design', '--dir', `${folder.path}/lint-warnings`], {
      cwd: `${folder.path}/lint-warnings`,
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('No schema_design.md found');
  });
});

describe('with a database', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('lint');
  });

  afterAll(async () => {
    await db?.drop();
  });

  test('migrate up lints first: lint errors exit 3 and nothing is applied', async () => {
    const dir = `${folder.path}/up-lint`;
    await folder.write(
      'up-lint/001_shop_expand_create_orders.sql',
      sqlMigration('CREATE TABLE orders (id bigint PRIMARY KEY, total int);', 'DROP TABLE orders;'),
    );
    const env = { DATABASE_URL: db.url };
    expect((await strata(['migrate', 'up', '--dir', dir], { env })).code).toBe(0);
    await folder.write(
      'up-lint/002_shop_expand_total_index.sql',
      sqlMigration('CREATE INDEX orders_total_idx ON orders (total);', 'DROP INDEX orders_total_idx;'),
    );
    const up = await strata(['migrate', 'up', '--dir', dir, '--json'], { env });
    expect(up.code).toBe(3);
    expect(up.json()).toMatchObject({
      ok: false,
      error: {
        code: 'MIGRATION_LINT_FAILED',
        findings: [
          { file: '002_shop_expand_total_index.sql', line: 2, ruleId: 'create-index-without-concurrently' },
        ],
      },
    });
    expect(await db.query("select to_regclass('orders_total_idx') as index")).toEqual([{ index: null }]);
  });

  test('up --post-deploy follows schema_design.md: a contract behind a gate for another release is blocked (exit 3)', async () => {
    const own = await createTestDatabase('design');
    try {
      const base = `${folder.path}/design-up`;
      await folder.write(
        'design-up/schema_design.md',
        `## Migration plan\n1. 001_PROJ-8_expand_add_flag.sql\n2. [CODE DEPLOY: v3]\n3. 002_PROJ-8_contract_drop_old.sql\n`,
      );
      await folder.write(
        'design-up/migrations/001_PROJ-8_expand_add_flag.sql',
        sqlMigration('CREATE TABLE flags (id bigint PRIMARY KEY, old text);', 'DROP TABLE flags;'),
      );
      await folder.write(
        'design-up/migrations/002_PROJ-8_contract_drop_old.sql',
        sqlMigration('ALTER TABLE flags DROP COLUMN old;'),
      );
      const env = { DATABASE_URL: own.url, STRATA_DESIGN_FILE: `${base}/schema_design.md` };
      const args = ['--dir', `${base}/migrations`, '--json'];
      expect((await strata(['migrate', 'up', ...args], { env })).code).toBe(0);
      expect((await strata(['deploy', 'mark', 'v2', ...args], { env })).code).toBe(0);
      const blocked = await strata(['migrate', 'up', '--post-deploy', ...args], { env });
      expect(blocked.code).toBe(3);
      expect(blocked.json()).toMatchObject({
        applied: [],
        blocked: [{ name: '002_PROJ-8_contract_drop_old', blockedBy: 'guard' }],
      });
      expect((await strata(['deploy', 'mark', 'v3', ...args], { env })).code).toBe(0);
      const allowed = await strata(['migrate', 'up', '--post-deploy', ...args], { env });
      expect(allowed.code).toBe(0);
      expect(allowed.json()).toMatchObject({ applied: [{ name: '002_PROJ-8_contract_drop_old' }] });
    } finally {
      await own.drop();
    }
  }, 60_000);
});
