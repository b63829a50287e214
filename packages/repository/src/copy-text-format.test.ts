import { createTestDatabase, type TestDatabase } from '@strata/local-postgres/test-database';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFromStdin } from './copy-from-stdin.js';
import { CopyValueError, copyFieldEncoder, escapeCopyText } from './copy-text-format.js';
import type { ColumnKind } from './table-description.js';

const TRICKY_TEXT = [
  'he said "hi"',
  "it's",
  'a,b,c',
  'line one\nline two',
  'windows\r\nline',
  'tab\there',
  'back\\slash',
  'ends with a backslash \\',
  '\\N',
  '\\.',
  'NULL',
  '',
  ' leading and trailing spaces ',
  'héllo — 日本語 🎉 ñ',
];

// Each column with its kind, as the repository derives it from the catalog.
const COLUMNS: { name: string; type: string; kind: ColumnKind }[] = [
  { name: 'txt', type: 'text', kind: 'other' },
  { name: 'num', type: 'numeric', kind: 'other' },
  { name: 'int', type: 'int8', kind: 'other' },
  { name: 'flag', type: 'boolean', kind: 'other' },
  { name: 'at', type: 'timestamptz', kind: 'timestamptz' },
  { name: 'local_at', type: 'timestamp', kind: 'timestamp' },
  { name: 'day', type: 'date', kind: 'date' },
  { name: 'doc', type: 'jsonb', kind: 'json' },
  { name: 'tags', type: 'text[]', kind: 'array' },
  { name: 'bytes', type: 'bytea', kind: 'bytea' },
];

let database: TestDatabase;
let client: pg.Client;

beforeAll(async () => {
  database = await createTestDatabase({ prefix: 'repository_copy_format' });
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
  const columns = COLUMNS.map((column) => `${column.name} ${column.type}`).join(', ');
  await client.query(`create table by_copy (seq int primary key, ${columns})`);
  await client.query(`create table by_insert (seq int primary key, ${columns})`);
});

afterAll(async () => {
  await client?.end();
  await database?.drop();
});

/** Writes rows with COPY and with a parameterised INSERT, and returns both tables as text. */
async function writeBothWays(rows: unknown[][]): Promise<{ copied: unknown[]; inserted: unknown[] }> {
  await client.query('truncate by_copy, by_insert');
  const encoders = COLUMNS.map((column) => copyFieldEncoder(column.kind));
  const lines = rows.map((row, seq) =>
    [String(seq), ...row.map((value, index) => encoders[index]?.(value))].join('\t'),
  );
  const names = COLUMNS.map((column) => column.name).join(', ');
  const stored = await copyFromStdin(client, `copy by_copy (seq, ${names}) from stdin`, [
    `${lines.join('\n')}\n`,
  ]);
  expect(stored).toBe(rows.length);
  for (const [seq, row] of rows.entries()) {
    // What node-postgres sends for a parameter, with JSON for the json column (as the repository does).
    const values = row.map((value, index) =>
      COLUMNS[index]?.kind === 'json' && value !== null && typeof value !== 'string'
        ? JSON.stringify(value)
        : value,
    );
    await client.query(
      `insert into by_insert (seq, ${names}) values ($1, ${COLUMNS.map((_, index) => `$${index + 2}`).join(', ')})`,
      [seq, ...values],
    );
  }
  const asText = `select seq, ${COLUMNS.map((column) => `${column.name}::text`).join(', ')} from %s order by seq`;
  const copied = (await client.query(asText.replace('%s', 'by_copy'))).rows;
  const inserted = (await client.query(asText.replace('%s', 'by_insert'))).rows;
  return { copied, inserted };
}

describe('COPY text encoding', () => {
  it('stores tricky text exactly: quotes, commas, newlines, tabs, backslashes, markers, unicode', async () => {
    const rows = TRICKY_TEXT.map((text) => [text, null, null, null, null, null, null, null, null, null]);
    await writeBothWays(rows);
    const { rows: stored } = await client.query('select txt from by_copy order by seq');
    expect(stored.map((row) => row.txt)).toEqual(TRICKY_TEXT);
  });

  it('tells NULL from the empty string and from the text "\\N"', async () => {
    await writeBothWays([[null], [''], ['\\N']].map((row) => [...row, ...Array(9).fill(null)]));
    const { rows } = await client.query('select txt, txt is null as is_null from by_copy order by seq');
    expect(rows).toEqual([
      { txt: null, is_null: true },
      { txt: '', is_null: false },
      { txt: '\\N', is_null: false },
    ]);
  });

  it('writes every column kind exactly as a parameterised INSERT does', async () => {
    const rows = [
      [
        'plain',
        '12345678901234567890.123456789',
        9007199254740993n,
        true,
        new Date('2024-02-29T23:59:59.999Z'),
        new Date('2024-06-01T12:34:56.789Z'),
        new Date('2024-06-01T00:00:00Z'),
        { quote: '"', backslash: '\\', newline: '\n', tab: '\t', unicode: '日本', list: [1, null, 'x'] },
        ['a', 'b,c', 'd"e', 'f\\g', 'h\ni', null, '', 'NULL', '{}'],
        Buffer.from([0, 1, 2, 92, 9, 10, 255]),
      ],
      [
        'more',
        0.1,
        -42,
        false,
        new Date(0),
        new Date('1999-12-31T23:00:00Z'),
        new Date('2000-01-01T00:00:00Z'),
        [1, 'two', { three: 3 }],
        [],
        Buffer.alloc(0),
      ],
      // A string for a json column is taken as JSON text already.
      [null, Number.NaN, null, null, null, null, null, '{"given":"as text"}', ['only'], null],
    ];
    const { copied, inserted } = await writeBothWays(rows);
    expect(copied).toEqual(inserted);
    expect(copied[0]).toMatchObject({
      int: '9007199254740993',
      flag: 'true',
      tags: '{a,"b,c","d\\"e","f\\\\g","h\ni",NULL,"","NULL","{}"}',
    });
    expect(copied[2]).toMatchObject({ num: 'NaN', doc: '{"given": "as text"}' });
  });

  it('escapes only what COPY text format needs', () => {
    expect(escapeCopyText('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
    expect(escapeCopyText('"quoted", with commas')).toBe('"quoted", with commas');
  });

  it('refuses values with no SQL representation', () => {
    expect(() => copyFieldEncoder('timestamptz')(new Date(Number.NaN))).toThrow(CopyValueError);
    expect(() => copyFieldEncoder('json')(() => 1)).toThrow(CopyValueError);
    expect(() => copyFieldEncoder('other')(Symbol('s'))).toThrow(CopyValueError);
  });
});

describe('timestamptz encoding', () => {
  it('writes the same ISO 8601 text as Date#toISOString across days, years and edges', () => {
    const encode = copyFieldEncoder('timestamptz');
    const instants = [
      0,
      -1,
      Date.UTC(1999, 11, 31, 23, 59, 59, 999),
      Date.UTC(2000, 1, 29, 12, 0, 0, 1),
      Date.parse('0001-01-01T00:00:00.000Z'),
      Date.parse('0001-01-01T00:00:00.000Z') - 1,
      Date.parse('1850-06-15T08:09:10.011Z'),
      Date.parse('9999-12-31T23:59:59.999Z'),
      Date.parse('9999-12-31T23:59:59.999Z') + 1,
      ...Array.from({ length: 2000 }, (_, i) => Date.UTC(2024, 0, 1) + i * 7_654_321),
    ];
    for (const instant of instants) {
      const date = new Date(instant);
      expect(encode(date)).toBe(date.toISOString());
    }
  });
});
