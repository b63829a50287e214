import type { Pool } from '@strata/pool';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { LongTransactionWarning } from './long-transaction-warning.js';
import { createTestDatabase, type TestDatabase } from './test-support/test-database.js';
import { withTransaction } from './with-transaction.js';

let db: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  db = await createTestDatabase('longtx');
  pool = db.pool();
});
afterAll(() => db?.drop());

test('a transaction open past the threshold is reported once, with where it was opened', async () => {
  const warnings: LongTransactionWarning[] = [];
  // The server sleeps far longer than the 1 ms threshold, so the warning's timer is due
  // long before the query returns.
  await withTransaction(pool, (tx) => tx.query('SELECT pg_sleep(0.2)'), {
    longTransactionWarningMs: 1,
    onLongTransaction: (warning) => void warnings.push(warning),
  });
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toBeInstanceOf(LongTransactionWarning);
  expect(warnings[0]?.code).toBe('LONG_TRANSACTION');
  expect(warnings[0]?.transactionSite).toContain('long-transaction-warning.test.ts');
  expect(warnings[0]?.message).toContain(warnings[0]?.transactionSite);
});

test('by default the warning is a process warning; a short transaction or a threshold of 0 reports nothing', async () => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  process.on('warning', onWarning);
  try {
    await withTransaction(pool, (tx) => tx.query('SELECT pg_sleep(0.1)'), { longTransactionWarningMs: 1 });
    await withTransaction(pool, (tx) => tx.query('SELECT pg_sleep(0.1)'), { longTransactionWarningMs: 0 });
    await withTransaction(pool, (tx) => tx.query('SELECT 1'), { longTransactionWarningMs: 600_000 });
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', onWarning);
  }
  expect(warnings.filter((w) => w instanceof LongTransactionWarning)).toHaveLength(1);
});

test('with captureStartSite off (the default where the network guard is off) the warning still comes, saying the site was not recorded', async () => {
  const warnings: LongTransactionWarning[] = [];
  await withTransaction(pool, (tx) => tx.query('SELECT pg_sleep(0.2)'), {
    networkGuard: 'off',
    longTransactionWarningMs: 1,
    onLongTransaction: (warning) => void warnings.push(warning),
  });
  expect(warnings).toHaveLength(1);
  expect(warnings[0]?.transactionSite).toBe('');
  expect(warnings[0]?.transactionStack).toBe('');
  expect(warnings[0]?.message).toMatch(/not recorded \(captureStartSite is off/);

  warnings.length = 0;
  await withTransaction(pool, (tx) => tx.query('SELECT pg_sleep(0.2)'), {
    networkGuard: 'off',
    captureStartSite: true,
    longTransactionWarningMs: 1,
    onLongTransaction: (warning) => void warnings.push(warning),
  });
  expect(warnings[0]?.transactionSite).toContain('long-transaction-warning.test.ts');
});

test("a transaction's connection is left to the long-transaction warning, not the pool's leak detection; with the warning off, leak detection watches it", async () => {
  const watched = db.pool({ max: 1, leakDetectionThreshold: 20 });
  const leaks: string[] = [];
  watched.on('leak', ({ stack }) => leaks.push(stack));
  const hold = (longTransactionWarningMs: number) =>
    withTransaction(watched, (tx) => tx.query('SELECT pg_sleep(0.3)'), {
      longTransactionWarningMs,
      onLongTransaction: () => {},
    });
  await hold(10_000);
  expect(leaks).toEqual([]);
  await hold(0);
  expect(leaks).toHaveLength(1);
});
