import { UniqueViolationError } from '@strata/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepository } from './create-repository.js';
import { preallocateIds } from './preallocate-ids.js';
import type { Repository } from './repository.js';
import { InvalidRowsError } from './repository-errors.js';
import { countStatements } from './test-support/count-statements.js';
import { createTestPool, Document, Measurement, type TestPool, User } from './test-support/fixtures.js';

let db: TestPool;
let measurements: Repository<Measurement>;
let users: Repository<User>;

beforeAll(async () => {
  db = await createTestPool('create_many');
  measurements = createRepository(db.pool, Measurement, { copyThreshold: 1000 });
  users = createRepository(db.pool, User, { filterable: ['email'] });
  // Read each table's catalog description once, so statement counts below see only the insert.
  await measurements.createMany([
    { reading: 0, label: 'warm-up', note: null, amount: '0', taken_at: new Date() },
  ]);
  await users.list({ limit: 1 });
});

afterAll(async () => {
  await db?.close();
});

const measurement = (i: number) => ({
  reading: i,
  label: `label ${i}`,
  note: i % 7 === 0 ? null : `note, "${i}"`,
  amount: `${i}.${String(i % 100).padStart(2, '0')}`,
  taken_at: new Date(Date.UTC(2024, 0, 1) + i * 1000),
});

/** Waits until a COPY of this database is waiting for a lock. */
async function waitForCopyToBlock(observer: {
  query(text: string): Promise<{ rows: unknown[] }>;
}): Promise<void> {
  for (;;) {
    // The observer is inside a transaction, which would otherwise keep seeing its first snapshot.
    await observer.query('select pg_stat_clear_snapshot()');
    const { rows } = await observer.query(
      "select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like 'copy %'",
    );
    if (rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Reads the given ids back as id → reading. */
async function readingsById(ids: readonly string[]): Promise<Map<string, number>> {
  const { rows } = await db.pool.query<{ id: string; reading: number }>(
    'select id, reading from measurements where id = any($1)',
    [ids],
  );
  return new Map(rows.map((row) => [row.id, row.reading]));
}

describe('createMany below copyThreshold', () => {
  it('is one multi-row INSERT returning ids in input order', async () => {
    let ids: string[] = [];
    const statements = await countStatements(async () => {
      ids = await measurements.createMany(Array.from({ length: 200 }, (_, i) => measurement(i)));
    });
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/^insert into "measurements" .* returning "id"$/);
    const readings = await readingsById(ids);
    expect(ids.map((id) => readings.get(id))).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it('sets created_at and updated_at in application code', async () => {
    const before = new Date();
    const [id] = await measurements.createMany([measurement(1)]);
    const stored = await measurements.getById(id as string);
    expect(stored.created_at.getTime()).toBeGreaterThanOrEqual(before.getTime());
    expect(stored.updated_at).toEqual(stored.created_at);
  });

  it('returns [] for no rows without a statement', async () => {
    expect(await countStatements(() => measurements.createMany([]))).toHaveLength(0);
  });
});

describe('createMany with COPY', () => {
  it('stores 50k rows with COPY and returns their ids in input order', async () => {
    const rows = Array.from({ length: 50_000 }, (_, i) => measurement(i));
    let ids: string[] = [];
    const statements = await countStatements(async () => {
      ids = await measurements.createMany(rows);
    });
    // The ids come from the sequence default while COPY writes the rows, read back from nextval
    // before and after it: a constant number of statements, whatever the row count.
    expect(statements.map((statement) => statement.slice(0, 14))).toEqual([
      'begin',
      'select nextval',
      'copy "measurem',
      'select nextval',
      'commit',
    ]);
    expect(ids).toHaveLength(50_000);
    expect(new Set(ids).size).toBe(50_000);
    const readings = await readingsById(ids);
    expect(readings.size).toBe(50_000);
    expect(ids.every((id, i) => readings.get(id) === i)).toBe(true);
    // Every value arrived intact.
    const sample = await measurements.getManyByIds([ids[0], ids[7], ids[49_999]] as string[]);
    expect(
      sample.map(({ reading, label, note, amount, taken_at }) => ({
        reading,
        label,
        note,
        amount,
        taken_at,
      })),
    ).toEqual([measurement(0), measurement(7), measurement(49_999)]);
    expect(sample[0]?.created_at).toBeInstanceOf(Date);
  });

  it('switches to COPY below the threshold when an INSERT would exceed 65535 parameters', async () => {
    const wide = createRepository(db.pool, Measurement, { copyThreshold: 1_000_000 });
    // 10,000 rows × 7 columns = 70,000 parameters.
    const statements = await countStatements(() =>
      wide.createMany(Array.from({ length: 10_000 }, (_, i) => measurement(i))),
    );
    expect(statements.filter((statement) => statement.startsWith('insert'))).toHaveLength(0);
    expect(statements.filter((statement) => statement.startsWith('copy'))).toHaveLength(1);
  });

  it('writes quotes, commas, newlines, tabs, backslashes, NULLs and unicode exactly', async () => {
    const tricky = [
      'he said "hi", then left',
      'line one\nline two\r\nline three',
      'tab\tseparated',
      'C:\\path\\to\\file',
      'ends with backslash \\',
      '\\N',
      '\\.',
      '',
      'naïve café — 日本語 — 🎉',
      "'single'",
    ];
    const rows = tricky.map((label, i) => ({ ...measurement(i), label, note: i % 2 === 0 ? null : label }));
    const copying = createRepository(db.pool, Measurement, { copyThreshold: 1 });
    const ids = await copying.createMany(rows);
    const stored = await copying.getManyByIds(ids);
    expect(stored.map((row) => row.label)).toEqual(tricky);
    expect(stored.map((row) => row.note)).toEqual(rows.map((row) => row.note));
  });

  it('generates uuid ids and writes json and array columns', async () => {
    const documents = createRepository(db.pool, Document, { copyThreshold: 1 });
    const rows = [
      { title: 'object', body: { nested: { quote: '"', list: [1, 2] } }, tags: ['a', 'b,c', 'd"e'] },
      { title: 'array', body: [1, 'two', null], tags: [] },
      { title: 'nulls', body: null, tags: null },
    ];
    const ids = await documents.createMany(rows);
    expect(ids.every((id) => /^[0-9a-f-]{36}$/.test(id))).toBe(true);
    const stored = await documents.getManyByIds(ids);
    expect(stored.map(({ title, body, tags }) => ({ title, body, tags }))).toEqual(rows);
    // uuids asked for in upper case are found too.
    const upper = await documents.getManyByIds(ids.map((id) => id.toUpperCase()));
    expect(upper.map((document) => document.id)).toEqual(ids);
  });

  it('uses ids the rows carry', async () => {
    const copying = createRepository(db.pool, Measurement, { copyThreshold: 1 });
    const ids = await copying.createMany([
      { id: '900000001', ...measurement(1) },
      { id: '900000002', ...measurement(2) },
    ]);
    expect(ids).toEqual(['900000001', '900000002']);
    expect((await copying.getById('900000002')).reading).toBe(2);
  });

  it('handles ids that are not contiguous (a sequence shared with concurrent inserts)', async () => {
    await db.pool.query('create sequence stepped_ids increment by 3');
    const ids = await preallocateIds((text, values) => db.pool.query(text, values), 'stepped_ids', 5, 'int8');
    expect(ids).toEqual(['1', '4', '7', '10', '13']);
    const contiguous = await preallocateIds(
      (text, values) => db.pool.query(text, values),
      'measurements_id_seq',
      3,
      'int4',
    );
    expect(contiguous).toHaveLength(3);
    expect(contiguous.every((id) => typeof id === 'number')).toBe(true);
  });

  it('when another session takes ids from the sequence mid-COPY, rolls back and takes ids up front', async () => {
    const copying = createRepository(db.pool, Measurement, { copyThreshold: 1 });
    await copying.createMany([measurement(0)]); // the description is read before counting
    // Another session holds a lock that makes the COPY wait, takes a value from the sequence
    // while it waits, then lets it go: the COPY's ids are no longer contiguous with the first nextval.
    const other = await db.pool.connect();
    await other.query('begin');
    await other.query('lock table measurements in share mode');
    let ids: string[] = [];
    const statements = await countStatements(async () => {
      const inserting = copying.createMany(Array.from({ length: 3_000 }, (_, i) => measurement(i)));
      await waitForCopyToBlock(other);
      await other.query("select nextval('measurements_id_seq')");
      await other.query('commit');
      ids = await inserting;
    });
    other.release();
    const observers = /pg_stat|^select 1 from|'measurements_id_seq'|^commit$/;
    const ours = statements.filter((statement) => !observers.test(statement));
    expect(ours.map((statement) => statement.slice(0, 14))).toEqual([
      'begin',
      'select nextval',
      'copy "measurem',
      'select nextval',
      'rollback',
      'with taken as ',
      'copy "measurem',
    ]);
    const readings = await readingsById(ids);
    expect(ids.every((id, i) => readings.get(id) === i)).toBe(true);
    // For a while after, it takes ids up front straight away.
    const next = await countStatements(() => copying.createMany([measurement(1), measurement(2)]));
    expect(next.map((statement) => statement.slice(0, 14))).toEqual(['with taken as ', 'copy "measurem']);
  });

  it('runs concurrent bulk inserts without id collisions', async () => {
    const batches = await Promise.all(
      [0, 1, 2].map((batch) =>
        measurements.createMany(Array.from({ length: 2_000 }, (_, i) => measurement(batch * 10_000 + i))),
      ),
    );
    const all = batches.flat();
    expect(new Set(all).size).toBe(6_000);
    const readings = await readingsById(all);
    batches.forEach((ids, batch) => {
      expect(ids.every((id, i) => readings.get(id) === batch * 10_000 + i)).toBe(true);
    });
  });
});

describe('createMany rejects', () => {
  it('a unique violation during COPY as a typed error, storing nothing', async () => {
    const copying = createRepository(db.pool, User, { copyThreshold: 1 });
    const rows = Array.from({ length: 100 }, (_, i) => ({ email: `bulk${i}@example.com`, name: 'bulk' }));
    rows.push({ email: 'bulk5@example.com', name: 'duplicate' });
    const error = await copying.createMany(rows).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UniqueViolationError);
    expect(error).toMatchObject({ constraint: 'users_email_key', columns: ['email'] });
    const { rows: stored } = await db.pool.query("select 1 from users where name = 'bulk'");
    expect(stored).toHaveLength(0);
  });

  it('a value with no SQL form mid-stream, naming the row and field, storing nothing', async () => {
    const copying = createRepository(db.pool, Measurement, { copyThreshold: 1 });
    const rows = Array.from({ length: 60_000 }, (_, i) => ({ ...measurement(i), label: 'doomed' }));
    rows[55_555] = { ...measurement(1), label: 'doomed', taken_at: new Date(Number.NaN) };
    const error = await copying.createMany(rows).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidRowsError);
    expect((error as Error).message).toBe(
      'Cannot write Measurement: row 55555, field "taken_at": an invalid Date cannot be stored',
    );
    const { rows: stored } = await db.pool.query("select 1 from measurements where label = 'doomed'");
    expect(stored).toHaveLength(0);
    // The connection went back to the pool in a usable state.
    expect((await db.pool.query('select 1 as ok')).rows).toEqual([{ ok: 1 }]);
  });

  it('rows that do not all carry the same fields', async () => {
    await expect(
      measurements.createMany([measurement(1), { ...measurement(2), note: undefined }]),
    ).rejects.toThrow(
      'row 1 lacks field "note" that row 0 has; createMany() needs the same fields in every row',
    );
    await expect(
      measurements.createMany([measurement(1), { ...measurement(2), extra: 1 } as never]),
    ).rejects.toThrow('row 1 has field "extra" that row 0 lacks');
  });

  it('fields that are not columns', async () => {
    await expect(measurements.createMany([{ ...measurement(1), colour: 'red' } as never])).rejects.toThrow(
      'Cannot write Measurement field "colour": "colour" is not a column of table measurements.',
    );
  });
});
