import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createMigrator } from './create-migrator.js';
import { lintMigrations } from './lint/lint-migration.js';
import { MigrationFailedError } from './migration-errors.js';
import { parseSqlMigration } from './sql-migration-file.js';
import { rejection } from './test-support/rejection.js';
import {
  createMigrationsDirectory,
  createTestDatabase,
  type MigrationsDirectory,
  type TestDatabase,
} from './test-support/test-database.js';

// Every statement PostgreSQL accepts must pass plan, lint and up: files around the sizes where
// libpg-query's scanner used to break (its JSON cut tokens at ~1 KB after a `--` comment, and a
// long string literal crashed the WebAssembly module), with the lexical shapes real histories use.

let db: TestDatabase;
let dir: MigrationsDirectory;

beforeEach(async () => {
  db = await createTestDatabase();
  dir = await createMigrationsDirectory();
});

afterEach(async () => {
  await db.drop();
  await dir.cleanup();
});

// The value PostgreSQL stores for the table comment of each generated file.
interface GeneratedFile {
  fileName: string;
  text: string;
  table: string;
  comment: string;
}

/**
 * A migration of exactly `size` characters: a `-- migrate:up` marker, a comment, a table, a
 * multi-line DO block with a tagged dollar quote holding a `$$` and a `;`, a nested block
 * comment, an E'' string with escapes, a standard string ending in a backslash, and a
 * multi-line table comment padded to the size (it also holds a fake `-- migrate:down`).
 */
function generatedFile(seq: number, size: number, literal = 0): GeneratedFile {
  const table = `sized_${seq}`;
  const head = `-- migrate:up
-- ${seq}: generated, ${size} characters
CREATE TABLE ${table} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, path text DEFAULT 'C:\\temp\\');
/* outer /* nested; -- still a comment */ comment */
DO $body$
DECLARE
  snippet text := $$ a ; b $$;
BEGIN
  IF snippet <> '' THEN
    ALTER TABLE ${table} ADD COLUMN note text DEFAULT E'it\\'s\\n\\\\done';
  END IF;
END
$body$;
COMMENT ON TABLE ${table} IS '`;
  const tail = `';
SELECT E'tab\\there', 'semi;colon', "path" FROM ${table};
-- migrate:down
DROP TABLE ${table};
`;
  const fill = Math.max(literal, size - head.length - tail.length);
  const lines: string[] = [];
  let length = 0;
  for (let line = 0; length < fill; line++) {
    const text = line === 1 ? '-- migrate:down (inside a string)' : `line ${line} it''s; ${'x'.repeat(60)}`;
    lines.push(text);
    length += text.length + 1;
  }
  const padding = lines.join('\n').slice(0, fill).replace(/'$/, 'x');
  const text = `${head}${padding}${tail}`;
  return {
    fileName: `${String(seq).padStart(3, '0')}_sizes_expand_file_${seq}.sql`,
    text,
    table,
    comment: padding.replaceAll("''", "'"),
  };
}

const BOUNDARIES = [1_024, 1_229, 4_096, 65_536];

const generated = [
  ...BOUNDARIES.flatMap((boundary, index) =>
    [-1, 0, 1].map((delta, offset) => generatedFile(index * 3 + offset + 1, boundary + delta)),
  ),
  generatedFile(20, 0, 3_000),
  generatedFile(21, 0, 100_000),
];

describe('SQL files around the old scanner limits', () => {
  test('have the sizes asked for', () => {
    expect(generated.slice(0, 12).map((file) => file.text.length)).toEqual(
      BOUNDARIES.flatMap((boundary) => [boundary - 1, boundary, boundary + 1]),
    );
    expect(generated[13]?.text.length).toBeGreaterThan(100_000);
  });

  test.each(generated)('$fileName parses into its statements', async ({ fileName, text, table }) => {
    const parsed = await parseSqlMigration(fileName, text);
    expect(parsed.up.statements.map((statement) => statement.kind)).toEqual([
      'CreateStmt',
      'DoStmt',
      'CommentStmt',
      'SelectStmt',
    ]);
    expect(parsed.up.statements.every((statement) => statement.parseError === undefined)).toBe(true);
    expect(parsed.down?.statements.map((statement) => statement.sql)).toEqual([`DROP TABLE ${table}`]);
  });

  test('plan, lint and up accept them all, and PostgreSQL stores every string byte for byte', async () => {
    for (const file of generated) await dir.write(file.fileName, file.text);
    expect(await lintMigrations(generated.map((file) => ({ file: file.fileName, sql: file.text })))).toEqual(
      [],
    );
    const migrator = createMigrator({ directory: dir.path, connectionString: db.connectionString });
    try {
      const plan = await migrator.plan();
      expect(plan.migrations).toHaveLength(generated.length);
      const { applied } = await migrator.up();
      expect(applied).toHaveLength(generated.length);
    } finally {
      await migrator.close();
    }
    for (const file of generated) {
      const [row] = await db.query<{ comment: string; note: string; path: string }>(
        `select obj_description($1::regclass, 'pg_class') as comment,
                (select column_default from information_schema.columns where table_name = $2 and column_name = 'note') as note,
                (select column_default from information_schema.columns where table_name = $2 and column_name = 'path') as path`,
        [file.table, file.table],
      );
      expect(row?.comment).toBe(file.comment);
      expect(row?.note).toBe("'it''s\n\\done'::text");
      expect(row?.path).toBe("'C:\\temp\\'::text");
    }
  });
});

describe('a statement the parser cannot read', () => {
  test('is planned and linted with a warning, and PostgreSQL judges it at up, at its line', async () => {
    const fileName = '001_misc_expand_broken.sql';
    const text = '-- migrate:up\nCREATE TABLE kept (id bigint PRIMARY KEY);\n\nSELECT FROM WHERE;\n';
    await dir.write(fileName, text);
    expect(
      (await lintMigrations([{ file: fileName, sql: text }])).map((f) => [f.line, f.ruleId, f.severity]),
    ).toEqual([[4, 'syntax-error', 'warning']]);
    const migrator = createMigrator({ directory: dir.path, connectionString: db.connectionString });
    try {
      expect((await migrator.plan()).migrations.map((m) => m.fileName)).toEqual([fileName]);
      const error = await rejection(migrator.up());
      expect(error).toBeInstanceOf(MigrationFailedError);
      expect(error).toMatchObject({ migration: fileName, line: 4 });
      expect((error as Error).message).toContain('syntax error at or near "WHERE"');
    } finally {
      await migrator.close();
    }
    // The migration ran in one transaction: nothing of it stayed.
    expect(await db.query("select to_regclass('kept') as kept")).toEqual([{ kept: null }]);
  });
});
