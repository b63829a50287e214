import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTempFolder, serverUrl, strata, type TempFolder } from './strata-harness.js';

let folder: TempFolder;
const name = `cli_db_${randomBytes(4).toString('hex')}`;
const url = (() => {
  const parsed = new URL(serverUrl());
  parsed.pathname = `/${name}`;
  return parsed.toString();
})();

const exists = async (): Promise<boolean> => {
  const client = new pg.Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    return (await client.query('select 1 from pg_database where datname = $1', [name])).rows.length === 1;
  } finally {
    await client.end();
  }
};

const rows = async (sql: string): Promise<unknown[]> => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
};

beforeAll(async () => {
  folder = await createTempFolder();
});

afterAll(async () => {
  await strata(['db', 'drop', '--yes', '--force', '--if-exists'], { env: { DATABASE_URL: url } });
  await folder?.cleanup();
});

describe('strata db', () => {
  test('create, seed (SQL in a transaction, .js and .ts modules via seed(knex)), drop', async () => {
    const env = { DATABASE_URL: url };
    const created = await strata(['db', 'create', '--json'], { env });
    expect(created.code).toBe(0);
    expect(created.json()).toEqual({
      ok: true,
      database: url.replace(/:[^:@/]+@/, ':***@'),
      name,
      created: true,
    });
    expect(await exists()).toBe(true);

    const again = await strata(['db', 'create'], { env });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`Database "${name}" already exists. Pass --if-not-exists`);
    expect((await strata(['db', 'create', '--if-not-exists'], { env })).code).toBe(0);

    await folder.write(
      'seeds/01_schema.sql',
      "CREATE TABLE IF NOT EXISTS colours (name text PRIMARY KEY);\nINSERT INTO colours VALUES ('red') ON CONFLICT DO NOTHING;\n",
    );
    await folder.write(
      'seeds/02_green.js',
      "export async function seed(knex) {\n  await knex('colours').insert({ name: 'green' }).onConflict('name').ignore();\n}\n",
    );
    await folder.write(
      'seeds/03_blue.ts',
      "import type { Knex } from 'knex';\nexport default async function (knex: Knex): Promise<void> {\n  await knex('colours').insert({ name: 'blue' }).onConflict('name').ignore();\n}\n",
    );
    await folder.write('seeds/README.md', 'not a seed');
    const seeded = await strata(['db', 'seed', '--dir', `${folder.path}/seeds`, '--json'], { env });
    expect(seeded.code).toBe(0);
    expect(
      seeded.json<{ seeds: { file: string; kind: string }[] }>().seeds.map((s) => [s.file, s.kind]),
    ).toEqual([
      ['01_schema.sql', 'sql'],
      ['02_green.js', 'module'],
      ['03_blue.ts', 'module'],
    ]);
    expect(await rows('select name from colours order by name')).toEqual([
      { name: 'blue' },
      { name: 'green' },
      { name: 'red' },
    ]);

    // A failing SQL seed names its file and leaves nothing of itself behind.
    await folder.write(
      'seeds/04_broken.sql',
      "INSERT INTO colours VALUES ('violet');\nINSERT INTO colours VALUES ('red');\n",
    );
    const broken = await strata(['db', 'seed', '--dir', `${folder.path}/seeds`], { env });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('Seed 04_broken.sql failed');
    expect(await rows("select name from colours where name = 'violet'")).toEqual([]);

    expect((await strata(['db', 'drop'], { env })).code).toBe(2);
    expect(await exists()).toBe(true);
    const dropped = await strata(['db', 'drop', '--yes', '--json'], { env });
    expect(dropped.code).toBe(0);
    expect(dropped.json()).toMatchObject({ ok: true, name, dropped: true });
    expect(await exists()).toBe(false);
    expect((await strata(['db', 'drop', '--yes'], { env })).code).toBe(1);
    expect((await strata(['db', 'drop', '--yes', '--if-exists'], { env })).code).toBe(0);
  }, 90_000);
});
