import { describe, expect, test } from 'vitest';
import { splitSqlStatements } from './sql-parser.js';
import { statementLocks } from './statement-locks.js';
import { conflictingLockModes, TABLE_LOCK_MODES } from './table-lock-mode.js';

const locksOf = async (sql: string) => {
  const [statement] = await splitSqlStatements(sql);
  return statement ? statementLocks(statement) : [];
};

describe('statementLocks', () => {
  test.each([
    ['alter table orders add column note text', [['orders', 'AccessExclusiveLock']]],
    [
      'alter table billing.orders alter column note set not null',
      [['billing.orders', 'AccessExclusiveLock']],
    ],
    [
      'alter table orders add constraint orders_fk foreign key (c) references currencies (id) not valid',
      [
        ['orders', 'ShareRowExclusiveLock'],
        ['currencies', 'ShareRowExclusiveLock'],
      ],
    ],
    ['create index orders_c_idx on orders (c)', [['orders', 'ShareLock']]],
    [
      'create table lines (id bigint primary key, order_id bigint references orders (id), foreign key (id) references ids (id))',
      [
        ['orders', 'ShareRowExclusiveLock'],
        ['ids', 'ShareRowExclusiveLock'],
      ],
    ],
    [
      'alter table lines add column currency_id bigint references currencies (id)',
      [
        ['lines', 'AccessExclusiveLock'],
        ['currencies', 'ShareRowExclusiveLock'],
      ],
    ],
    ['alter table orders rename column a to b', [['orders', 'AccessExclusiveLock']]],
    ['lock table orders in share mode', [['orders', 'ShareLock']]],
    [
      'truncate orders, lines',
      [
        ['orders', 'AccessExclusiveLock'],
        ['lines', 'AccessExclusiveLock'],
      ],
    ],
    ['vacuum (full) orders', [['orders', 'AccessExclusiveLock']]],
    ['cluster orders using orders_pkey', [['orders', 'AccessExclusiveLock']]],
    ['reindex table orders', [['orders', 'ShareLock']]],
    ['refresh materialized view totals', [['totals', 'AccessExclusiveLock']]],
    ['drop index orders_c_idx', [['orders_c_idx', 'AccessExclusiveLock']]],
  ])('%s', async (sql, expected) => {
    expect((await locksOf(sql)).map((lock) => [lock.relation, lock.mode])).toEqual(expected);
  });

  test('DROP TABLE takes ACCESS EXCLUSIVE on each table and on the tables their foreign keys join', async () => {
    expect(await locksOf('drop table if exists orders, billing.lines cascade')).toEqual([
      {
        relation: 'orders',
        mode: 'AccessExclusiveLock',
        what: 'DROP TABLE orders',
        drops: true,
        foreignKeyPartners: true,
      },
      {
        relation: 'billing.lines',
        mode: 'AccessExclusiveLock',
        what: 'DROP TABLE billing.lines',
        drops: true,
        foreignKeyPartners: true,
      },
    ]);
  });

  test('REINDEX INDEX takes ACCESS EXCLUSIVE on the index and only SHARE on its table', async () => {
    expect(await locksOf('reindex index orders_c_idx')).toEqual([
      expect.objectContaining({ mode: 'AccessExclusiveLock', indexTableMode: 'ShareLock' }),
    ]);
  });

  test('statements that block neither reads nor writes take none', async () => {
    for (const sql of [
      'create index concurrently orders_c_idx on orders (c)',
      'drop index concurrently orders_c_idx',
      'reindex table concurrently orders',
      'alter table orders validate constraint orders_fk',
      'vacuum orders',
      'update orders set c = 1 where c is null',
      'select * from orders',
      'create table fresh (id int)',
      'lock table orders in row exclusive mode',
    ]) {
      expect(await locksOf(sql), sql).toEqual([]);
    }
  });

  test('the statements a DO block runs count', async () => {
    const locks = await locksOf(`do $$
begin
  if not exists (select 1 from pg_constraint where conname = 'orders_c_check') then
    alter table orders add constraint orders_c_check check (c > 0) not valid;
  end if;
end $$`);
    expect(locks.map((lock) => [lock.relation, lock.mode])).toEqual([['orders', 'AccessExclusiveLock']]);
  });
});

describe('conflictingLockModes', () => {
  test("is PostgreSQL's conflict table: symmetric, ACCESS EXCLUSIVE conflicts with all, ACCESS SHARE only with it", () => {
    for (const a of TABLE_LOCK_MODES) {
      for (const b of TABLE_LOCK_MODES) {
        expect(conflictingLockModes(a).includes(b), `${a} / ${b}`).toBe(conflictingLockModes(b).includes(a));
      }
    }
    expect(conflictingLockModes('AccessExclusiveLock')).toEqual(TABLE_LOCK_MODES);
    expect(conflictingLockModes('AccessShareLock')).toEqual(['AccessExclusiveLock']);
    expect(conflictingLockModes('RowExclusiveLock')).not.toContain('RowExclusiveLock');
  });
});
