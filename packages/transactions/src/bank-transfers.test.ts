import type { Pool } from '@strata/pool';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createBarrier } from './test-support/barrier.js';
import { createTestDatabase, type TestDatabase } from './test-support/test-database.js';
import type { RetryInfo } from './transaction-options.js';
import { withTransaction } from './with-transaction.js';

const ACCOUNTS = 10;
const TRANSFERS = 50;
const OPENING_BALANCE = 1_000;
const POOL_SIZE = 10;

let db: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  db = await createTestDatabase('bank');
  pool = db.pool({ max: POOL_SIZE });
  await pool.query('CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL CHECK (balance >= 0))');
  await pool.query(
    'CREATE TABLE ledger (transfer_id int PRIMARY KEY, from_id int NOT NULL, to_id int NOT NULL, amount int NOT NULL)',
  );
  await pool.query('INSERT INTO accounts SELECT g, $1 FROM generate_series(1, $2::int) g', [
    OPENING_BALANCE,
    ACCOUNTS,
  ]);
});
afterAll(() => db?.drop());

test('50 concurrent serializable transfers among 10 accounts: money is conserved and every transfer lands exactly once', async () => {
  // A fixed pseudo-random plan, so a failure can be replayed.
  let seed = 42;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const plan = Array.from({ length: TRANSFERS }, (_, id) => {
    const from = 1 + Math.floor(random() * ACCOUNTS);
    const to = 1 + ((from + Math.floor(random() * (ACCOUNTS - 1))) % ACCOUNTS);
    return { id, from, to, amount: 1 + Math.floor(random() * 100) };
  });

  // The first POOL_SIZE transfers all read before any of them writes: 10 transfers touch 20
  // account slots among 10 accounts, so some must conflict and be retried.
  const overlap = createBarrier(POOL_SIZE);
  const retries: RetryInfo[] = [];
  const runs = new Map<number, number>();

  const transfer = (step: (typeof plan)[number]) =>
    withTransaction(
      pool,
      async (tx) => {
        runs.set(step.id, (runs.get(step.id) ?? 0) + 1);
        const { rows } = await tx.query<{ id: number; balance: number }>(
          'SELECT id, balance FROM accounts WHERE id = ANY($1::int[])',
          [[step.from, step.to]],
        );
        if (step.id < POOL_SIZE && tx.attempt === 1) await overlap.arrive();
        const from = rows.find((row) => row.id === step.from);
        if (!from || from.balance < step.amount) return 'insufficient funds';
        await tx.query('UPDATE accounts SET balance = balance - $2 WHERE id = $1', [step.from, step.amount]);
        await tx.query('UPDATE accounts SET balance = balance + $2 WHERE id = $1', [step.to, step.amount]);
        await tx.query('INSERT INTO ledger VALUES ($1, $2, $3, $4)', [
          step.id,
          step.from,
          step.to,
          step.amount,
        ]);
        return 'applied';
      },
      {
        isolationLevel: 'serializable',
        maxAttempts: 50,
        retryBackoff: { baseDelayMs: 2, maxDelayMs: 50 },
        onRetry: (info) => void retries.push(info),
      },
    );

  const outcomes = await Promise.all(plan.map(transfer));
  expect(outcomes.every((outcome) => outcome === 'applied' || outcome === 'insufficient funds')).toBe(true);

  const { rows: total } = await pool.query<{ sum: number }>('SELECT sum(balance)::int AS sum FROM accounts');
  expect(total[0]?.sum).toBe(ACCOUNTS * OPENING_BALANCE);

  const { rows: ledger } = await pool.query<{
    transfer_id: number;
    from_id: number;
    to_id: number;
    amount: number;
  }>('SELECT * FROM ledger ORDER BY transfer_id');
  const applied = plan.filter((_, index) => outcomes[index] === 'applied');
  expect(ledger.map((row) => row.transfer_id)).toEqual(applied.map((step) => step.id));

  // Every balance is exactly what the ledger says: nothing lost, nothing applied twice.
  const expected = new Map(Array.from({ length: ACCOUNTS }, (_, i) => [i + 1, OPENING_BALANCE]));
  for (const row of ledger) {
    expected.set(row.from_id, (expected.get(row.from_id) ?? 0) - row.amount);
    expected.set(row.to_id, (expected.get(row.to_id) ?? 0) + row.amount);
  }
  const { rows: balances } = await pool.query<{ id: number; balance: number }>(
    'SELECT id, balance FROM accounts ORDER BY id',
  );
  expect(balances).toEqual([...expected].map(([id, balance]) => ({ id, balance })));

  // Retries really happened, each on a retryable error, and reran the whole callback.
  expect(retries.length).toBeGreaterThan(0);
  expect(
    retries.every((r) =>
      ['SERIALIZATION_FAILURE', 'DEADLOCK_DETECTED'].includes((r.error as Error & { code: string }).code),
    ),
  ).toBe(true);
  const extraRuns = [...runs.values()].reduce((sum, n) => sum + n - 1, 0);
  expect(extraRuns).toBe(retries.length);
});
