import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidConfigError } from '@strata/errors';
import { sqlMigration } from '@strata/migration-fixtures';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createMigrator } from './create-migrator.js';
import { lintMigrations } from './lint/lint-migration.js';
import {
  BASELINE_FILE_NAME,
  baselinedFiles,
  baselineMigrations,
  readMigrationBaseline,
} from './migration-baseline.js';
import { MigrationFileError, MigrationLintError } from './migration-errors.js';
import { parseSqlMigration } from './sql-migration-file.js';
import { rejection } from './test-support/rejection.js';
import {
  createMigrationsDirectory,
  createTestDatabase,
  type MigrationsDirectory,
  type TestDatabase,
} from './test-support/test-database.js';

const FIXTURE = new URL('./test-support/fixtures/legacy-history/', import.meta.url);

let dir: MigrationsDirectory;

beforeEach(async () => {
  dir = await createMigrationsDirectory();
  await cp(FIXTURE, dir.path, { recursive: true });
});

afterEach(async () => {
  await dir.cleanup();
});

const sqlFilesOf = async (directory: string) =>
  Promise.all(
    (await readdir(directory))
      .filter((name) => name.endsWith('.sql'))
      .sort()
      .map(async (name) => ({ file: name, sql: await readFile(path.join(directory, name), 'utf8') })),
  );

describe('a legacy history (DO blocks, functions, long literals)', () => {
  test('every file parses, with no statement left to PostgreSQL alone', async () => {
    for (const { file, sql } of await sqlFilesOf(dir.path)) {
      const parsed = await parseSqlMigration(file, sql);
      expect(parsed.up.statements.filter((statement) => statement.parseError !== undefined)).toEqual([]);
    }
  });

  test('the linter reads inside its DO blocks: the rename, type change and drop hidden there are found', async () => {
    const findings = await lintMigrations(await sqlFilesOf(dir.path));
    const inDoBlocks = findings
      .filter((finding) => finding.message.includes('(inside the DO block)'))
      .map((finding) => [finding.file, finding.line, finding.ruleId]);
    expect(inDoBlocks).toEqual([
      ['002_legacy_expand_unique_project_names.sql', 8, 'expand-not-additive'],
      ['002_legacy_expand_unique_project_names.sql', 8, 'unbounded-update'],
      ['003_legacy_expand_repository_pulls.sql', 14, 'rename-outside-contract'],
      ['003_legacy_expand_repository_pulls.sql', 15, 'alter-column-type'],
      ['003_legacy_expand_repository_pulls.sql', 15, 'prefer-text'],
      ['003_legacy_expand_repository_pulls.sql', 19, 'drop-outside-contract'],
    ]);
    expect(findings.filter((finding) => finding.ruleId === 'do-block').map((f) => [f.file, f.line])).toEqual([
      ['005_legacy_expand_job_helpers.sql', 31],
    ]);
  });
});

describe('baselineMigrations', () => {
  test('lists every migration with its sha256 in .strata-baseline, which the linter then leaves alone', async () => {
    const report = await baselineMigrations({ directory: dir.path });
    const names = (await sqlFilesOf(dir.path)).map((file) => file.file);
    expect(report).toEqual({ path: path.join(dir.path, BASELINE_FILE_NAME), files: names, added: names });
    const text = await readFile(report.path, 'utf8');
    expect(text).toMatch(/^# Migrations that predate Strata's linter/);
    expect(text).toContain('  001_legacy_expand_initial_schema.sql\n');
    expect((await readMigrationBaseline(dir.path))?.entries).toHaveLength(names.length);
    expect([...(await baselinedFiles(dir.path))]).toEqual(names);

    // Running it again adds nothing; a new file is added only when asked for.
    await dir.write(
      '007_billing_expand_add_currency.sql',
      sqlMigration('ALTER TABLE project ADD COLUMN note text;'),
    );
    expect((await baselineMigrations({ directory: dir.path, through: 6 })).added).toEqual([]);
    expect(
      (await baselineMigrations({ directory: dir.path, through: '007_billing_expand_add_currency' })).added,
    ).toEqual(['007_billing_expand_add_currency.sql']);
  });

  test('a file changed since it was adopted is judged again', async () => {
    await baselineMigrations({ directory: dir.path });
    const file = '006_legacy_backfill_job_labels.sql';
    await writeFile(path.join(dir.path, file), `${await readFile(path.join(dir.path, file), 'utf8')}\n`);
    expect((await baselinedFiles(dir.path)).has(file)).toBe(false);
  });

  test('through must name a migration; a malformed baseline line is an error with its line', async () => {
    expect(await rejection(baselineMigrations({ directory: dir.path, through: 'nope' }))).toBeInstanceOf(
      InvalidConfigError,
    );
    await dir.write(BASELINE_FILE_NAME, '# adopted\n\nnot a checksum  001_x.sql\n');
    const error = await rejection(readMigrationBaseline(dir.path));
    expect(error).toBeInstanceOf(MigrationFileError);
    expect(error).toMatchObject({ fileName: BASELINE_FILE_NAME, line: 3 });
  });
});

describe('up with a baseline', () => {
  let db: TestDatabase;

  beforeEach(async () => {
    db = await createTestDatabase();
  });

  afterEach(async () => {
    await db.drop();
  });

  test('without one, the old files stop up; with one, up applies the whole history on a fresh database', async () => {
    const migrator = createMigrator({ directory: dir.path, connectionString: db.connectionString });
    try {
      const refused = await rejection(migrator.up());
      expect(refused).toBeInstanceOf(MigrationLintError);

      await baselineMigrations({ directory: dir.path });
      const { applied } = await migrator.up();
      expect(applied.map((migration) => migration.seq)).toEqual([1, 2, 3, 4, 5, 6]);
      const [row] = await db.query<{ labels: string[] }>(
        'select array_agg(label order by id) as labels from job_queue',
      );
      expect(row?.labels).toEqual(['gc-job #1', 'scan-job #2', 'replicate-job #3']);

      // A file written after the adoption is judged as usual.
      await dir.write(
        '007_billing_expand_rename_project.sql',
        sqlMigration('DO $$ BEGIN ALTER TABLE project RENAME TO projects; END $$;'),
      );
      const error = await rejection(migrator.up());
      expect(error).toBeInstanceOf(MigrationLintError);
      expect((error as MigrationLintError).findings).toEqual([
        expect.objectContaining({
          file: '007_billing_expand_rename_project.sql',
          line: 2,
          ruleId: 'rename-outside-contract',
        }),
      ]);
    } finally {
      await migrator.close();
    }
  });
});
