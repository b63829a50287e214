import { createTestDatabase, type TestDatabase } from '@strata/local-postgres/test-database';
import { createPool, type Pool } from '@strata/pool';
import { withTransaction } from '@strata/transactions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BaseModel } from './base-model.js';
import { binaryFieldWriter } from './copy-binary-format.js';
import { createRepository } from './create-repository.js';
import { countStatements } from './test-support/count-statements.js';

// Every type with a binary writer, in a table written by COPY and one written by INSERT.
const COLUMNS = `seq int not null, small int2, regular int4, big int8, ratio float8, amount numeric,
  exact numeric(12, 2), flag bool, label text, code varchar(40), ref uuid, at timestamptz,
  doc jsonb, raw json, bytes bytea`;

class Copied extends BaseModel {
  static override tableName = 'copied';
}
class Inserted extends BaseModel {
  static override tableName = 'inserted';
}

let database: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  database = await createTestDatabase({ prefix: 'repository_copy_binary' });
  pool = createPool({ connectionString: database.url, max: 2, min: 1, pingAfterIdle: 0 });
  await pool.ready();
  await pool.query(`create table copied (id bigserial primary key, ${COLUMNS});
    create table inserted (id bigserial primary key, ${COLUMNS})`);
});

afterAll(async () => {
  await pool?.close();
  await database?.drop();
});

type Row = Record<string, unknown>;

/** Writes `rows` with COPY and with INSERT; returns the COPY's format and both tables as text. */
async function writeBothWays(
  rows: Row[],
): Promise<{ format: 'binary' | 'text'; copied: Row[]; inserted: Row[] }> {
  await pool.query('truncate copied, inserted');
  const seqRows = rows.map((row, seq) => ({ seq, ...row }));
  const statements = await countStatements(() =>
    createRepository(pool, Copied, { copyThreshold: 1 }).createMany(seqRows as never[]),
  );
  await createRepository(pool, Inserted, { copyThreshold: 1_000_000 }).createMany(seqRows as never[]);
  // The COPY that stored the rows is the last one (a binary attempt that met a value without an
  // exact binary form is rolled back and run again as text).
  const copy = statements.filter((statement) => statement.startsWith('copy ')).at(-1) ?? '';
  const names = Object.keys(seqRows[0] ?? {}).filter((name) => name !== 'seq');
  const select = (table: string) =>
    pool.query<Row>(
      `select seq, ${names.map((name) => `${name}::text`).join(', ')} from ${table} order by seq`,
    );
  return {
    format: copy.endsWith('with (format binary)') ? 'binary' : 'text',
    copied: (await select('copied')).rows,
    inserted: (await select('inserted')).rows,
  };
}

const FULL_ROW = {
  small: null,
  regular: null,
  big: null,
  ratio: null,
  amount: null,
  exact: null,
  flag: null,
  label: null,
  code: null,
  ref: null,
  at: null,
  doc: null,
  raw: null,
  bytes: null,
};

describe('binary COPY', () => {
  it('stores every supported type exactly as an INSERT does', async () => {
    const rows: Row[] = [
      {
        small: -32_768,
        regular: 2_147_483_647,
        big: '9223372036854775807',
        ratio: 0.1,
        amount: '12345678901234567890.123456789',
        exact: '10.005',
        flag: true,
        label: 'tab\there, "quoted", back\\slash, newline\n, ünïcödé 🎉',
        code: 'C-42',
        ref: 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11',
        at: new Date('1969-07-20T20:17:40.123Z'),
        doc: { nested: [1, 'two', null, { deep: true }], quote: '"' },
        raw: [1, 2, 3],
        bytes: Buffer.from([0, 1, 2, 254, 255]),
      },
      {
        small: 32_767,
        regular: -2_147_483_648,
        big: -9_007_199_254_740_991,
        ratio: -0,
        amount: '-0.00',
        exact: -12.5,
        flag: false,
        label: '',
        code: 42,
        ref: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12',
        at: new Date('0001-01-01T00:00:00.000Z'),
        doc: '"a JSON string"',
        raw: '{"as":"text"}',
        bytes: Buffer.alloc(0),
      },
      {
        small: 0,
        regular: 7,
        big: 123_456_789_012_345n,
        ratio: Number.NaN,
        amount: '007.5000',
        exact: '0.01',
        flag: true,
        label: 12.5,
        code: true,
        ref: null,
        at: new Date('9999-12-31T23:59:59.999Z'),
        doc: 42,
        raw: { a: 'b' },
        bytes: null,
      },
      {
        ...FULL_ROW,
        ratio: Number.POSITIVE_INFINITY,
        amount: 0,
        exact: '0',
        at: new Date(Date.UTC(2024, 1, 29, 12)),
      },
      { ...FULL_ROW, ratio: 1e300, amount: 0.000123, big: '-1', label: 'plain' },
      { ...FULL_ROW, amount: '100000000', exact: '99999.99', regular: 10_000 },
    ];
    const { format, copied, inserted } = await writeBothWays(rows);
    expect(format).toBe('binary');
    expect(copied).toEqual(inserted);
    expect(copied[0]).toMatchObject({
      exact: '10.01',
      ref: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      big: '9223372036854775807',
    });
    expect(copied[2]).toMatchObject({ amount: '7.5000', label: '12.5', code: 'true' });
  });

  it('falls back to the text format when a value needs PostgreSQL to parse it', async () => {
    const exotic: Row[] = [
      { ...FULL_ROW, at: '2024-01-01 10:00:00+02' },
      { ...FULL_ROW, amount: '1e5' },
      { ...FULL_ROW, amount: 1e21 },
      { ...FULL_ROW, flag: 'yes' },
      { ...FULL_ROW, regular: '+42' },
      { ...FULL_ROW, ref: '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}' },
      { ...FULL_ROW, bytes: '\\x0102' },
    ];
    for (const row of exotic) {
      const { format, copied, inserted } = await writeBothWays([{ ...FULL_ROW, amount: '1.5' }, row]);
      expect(format).toBe('text');
      expect(copied).toEqual(inserted);
    }
  });

  it('inside a transaction, picks the format before the COPY so nothing is rolled back', async () => {
    const copying = createRepository(pool, Copied, { copyThreshold: 1 });
    await pool.query('truncate copied');
    const statements = await countStatements(() =>
      withTransaction(pool, async () => {
        await copying.createMany([{ seq: 1, amount: '1e5' } as never, { seq: 2, amount: '2' } as never]);
        await copying.createMany([{ seq: 3, amount: '3.5' } as never]);
      }),
    );
    const copies = statements.filter((statement) => statement.startsWith('copy '));
    expect(copies.map((statement) => statement.endsWith('with (format binary)'))).toEqual([false, true]);
    expect(statements.some((statement) => /rollback/i.test(statement))).toBe(false);
    const { rows } = await pool.query('select seq, amount::text from copied order by seq');
    expect(rows).toEqual([
      { seq: 1, amount: '100000' },
      { seq: 2, amount: '2' },
      { seq: 3, amount: '3.5' },
    ]);
  });

  it('applies the column type modifiers (numeric scale, varchar length) as the text format does', async () => {
    const { format, copied } = await writeBothWays([{ ...FULL_ROW, exact: '1.005' }]);
    expect(format).toBe('binary');
    expect(copied[0]?.exact).toBe('1.01');
    const tooLong = createRepository(pool, Copied, { copyThreshold: 1 }).createMany([
      { seq: 1, code: 'x'.repeat(41) } as never,
    ]);
    await expect(tooLong).rejects.toMatchObject({ sqlState: '22001' });
  });

  it('rejects a NUL character or an unpaired surrogate before sending anything, on both paths', async () => {
    for (const label of ['a\0b', 'a\ud800b']) {
      for (const [model, copyThreshold] of [
        [Copied, 1],
        [Inserted, 1_000],
      ] as const) {
        let error: unknown;
        const statements = await countStatements(async () => {
          error = await createRepository(pool, model, { copyThreshold })
            .createMany([{ seq: 1, label: 'fine' } as never, { seq: 2, label } as never])
            .catch((caught: unknown) => caught);
        });
        expect(error).toMatchObject({ code: 'INVALID_TEXT', field: 'label', column: 'label', row: 1 });
        expect(statements.filter((statement) => /^(copy|insert)/.test(statement))).toEqual([]);
      }
    }
  });

  it('accepts only values with one exact binary form', () => {
    const int4 = binaryFieldWriter('int4');
    expect([1, -1, '12', 2 ** 31 - 1].every((value) => int4?.accepts(value))).toBe(true);
    expect([1.5, 2 ** 31, '1.0', ' 1', 'one'].some((value) => int4?.accepts(value))).toBe(false);
    const numeric = binaryFieldWriter('numeric');
    expect(['1', '-1.50', 3.25].every((value) => numeric?.accepts(value))).toBe(true);
    expect(
      ['1e3', 'NaN', Number.POSITIVE_INFINITY, '1,5', '.5'].some((value) => numeric?.accepts(value)),
    ).toBe(false);
    expect(binaryFieldWriter('timestamp')).toBeUndefined();
    expect(binaryFieldWriter('_text')).toBeUndefined();
  });
});
