import { readFile, writeFile } from 'node:fs/promises';
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
const databases: TestDatabase[] = [];

beforeAll(async () => {
  folder = await createTempFolder();
});

afterAll(async () => {
  await Promise.all(databases.map((db) => db.drop()));
  await folder?.cleanup();
});

const freshDatabase = async (): Promise<TestDatabase> => {
  const db = await createTestDatabase('baseline');
  databases.push(db);
  return db;
};

// Files written years before the project used Strata: a trigger function, a DO block that
// renames a column, a multi-line string in a file well over 1.2 KB.
async function writeLegacyHistory(dir: string): Promise<void> {
  await folder.write(
    `${dir}/001_legacy_expand_initial_schema.sql`,
    sqlMigration(
      `-- The first schema.
CREATE TABLE account (id serial PRIMARY KEY, name varchar(100) NOT NULL, updated timestamp);
CREATE FUNCTION touch_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated = now();
  RETURN NEW;
END $$;
CREATE TRIGGER account_touch BEFORE UPDATE ON account FOR EACH ROW EXECUTE FUNCTION touch_account();
COMMENT ON TABLE account IS '${'Accounts of the application.\n'.repeat(60)}';`,
      'DROP TABLE account;\nDROP FUNCTION touch_account();',
    ),
  );
  await folder.write(
    `${dir}/002_legacy_expand_rename_name.sql`,
    sqlMigration(`DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'account' AND column_name = 'name') THEN
    ALTER TABLE account RENAME COLUMN name TO display_name;
  END IF;
END $$;
CREATE INDEX account_display_name_idx ON account (display_name);`),
  );
}

interface LintDocument {
  ok: boolean;
  files: number;
  baselined: number;
  errors: number;
  findings: { file: string; line: number; ruleId: string }[];
}

interface BaselineDocument {
  ok: boolean;
  path: string;
  files: string[];
  added: string[];
}

describe('migrate baseline: adopting a history written before Strata', () => {
  test('old files stop lint and up; after baseline, up applies them on a fresh database and new files are still judged', async () => {
    const dir = `${folder.path}/adopt`;
    await writeLegacyHistory('adopt');
    const db = await freshDatabase();
    const env = { DATABASE_URL: db.url };

    const before = await strata(['migrate', 'lint', '--dir', dir, '--json']);
    expect(before.code).toBe(3);
    expect(before.json<LintDocument>().findings.map((f) => [f.file, f.line, f.ruleId])).toEqual(
      expect.arrayContaining([
        ['001_legacy_expand_initial_schema.sql', 4, 'no-function'],
        ['002_legacy_expand_rename_name.sql', 5, 'rename-outside-contract'],
      ]),
    );
    const refused = await strata(['migrate', 'up', '--dir', dir], { env });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('strata migrate baseline');

    const baseline = await strata(['migrate', 'baseline', '--dir', dir, '--json']);
    expect(baseline.code).toBe(0);
    const adopted = baseline.json<BaselineDocument>();
    const names = ['001_legacy_expand_initial_schema.sql', '002_legacy_expand_rename_name.sql'];
    expect(adopted).toMatchObject({ ok: true, files: names, added: names });
    expect(await readFile(adopted.path, 'utf8')).toMatch(
      /^[0-9a-f]{64} {2}002_legacy_expand_rename_name\.sql$/m,
    );

    const lint = await strata(['migrate', 'lint', '--dir', dir, '--json']);
    expect(lint.code).toBe(0);
    expect(lint.json<LintDocument>()).toMatchObject({
      ok: true,
      files: 2,
      baselined: 2,
      errors: 0,
      findings: [],
    });

    const up = await strata(['migrate', 'up', '--dir', dir, '--json'], { env });
    expect(up.code).toBe(0);
    expect(up.json<{ applied: { seq: number }[] }>().applied.map((m) => m.seq)).toEqual([1, 2]);
    expect(await db.query('select display_name from account')).toEqual([]);

    // A file written after the adoption is linted like any other.
    await folder.write(
      'adopt/003_accounts_expand_index_updated.sql',
      sqlMigration('CREATE INDEX account_updated_idx ON account (updated);'),
    );
    const newer = await strata(['migrate', 'lint', '--dir', dir, '--json']);
    expect(newer.code).toBe(3);
    expect(newer.json<LintDocument>().findings.map((f) => [f.file, f.ruleId])).toEqual([
      ['003_accounts_expand_index_updated.sql', 'create-index-without-concurrently'],
    ]);
    expect((await strata(['migrate', 'up', '--dir', dir], { env })).code).toBe(3);
    // About a dozen CLI runs, each a fresh Node process: slow on a busy machine, not a measure.
  }, 120_000);

  test('--through adopts only the files up to it; an adopted file that changes is judged again', async () => {
    const dir = `${folder.path}/through`;
    await writeLegacyHistory('through');
    const human = await strata(['migrate', 'baseline', '--dir', dir, '--through', '1']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('adopted 001_legacy_expand_initial_schema.sql');
    expect(human.stdout).toContain('lists 1 migration (1 new).');

    const lint = await strata(['migrate', 'lint', '--dir', dir, '--json']);
    expect(lint.json<LintDocument>().findings.map((f) => f.file)).not.toContain(
      '001_legacy_expand_initial_schema.sql',
    );
    expect(lint.json<LintDocument>().baselined).toBe(1);

    const first = `${dir}/001_legacy_expand_initial_schema.sql`;
    await writeFile(first, (await readFile(first, 'utf8')).replace('The first schema.', 'The first schema!'));
    const changed = await strata(['migrate', 'lint', '--dir', dir, '--json']);
    expect(changed.json<LintDocument>()).toMatchObject({ baselined: 0 });
    expect(changed.json<LintDocument>().findings.map((f) => f.file)).toContain(
      '001_legacy_expand_initial_schema.sql',
    );
  });

  test('--through must name a migration (usage error, exit 2)', async () => {
    await writeLegacyHistory('bad-through');
    const run = await strata([
      'migrate',
      'baseline',
      '--dir',
      `${folder.path}/bad-through`,
      '--through',
      'nope',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('through');
  });
});
