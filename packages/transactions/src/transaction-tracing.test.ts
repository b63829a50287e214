import type { Pool } from '@strata/pool';
import { captureTelemetry, type TelemetryCapture } from '@strata/telemetry/testing';
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import { provokeDeadlock } from './test-support/deadlock.js';
import { createTestDatabase, type TestDatabase } from './test-support/test-database.js';
import { withTransaction } from './with-transaction.js';

let db: TestDatabase;
let pool: Pool;
let capture: TelemetryCapture;

beforeAll(async () => {
  capture = captureTelemetry();
  db = await createTestDatabase('tracing');
  pool = db.pool();
  await pool.query('CREATE TABLE rows (id int PRIMARY KEY, value int NOT NULL)');
  await pool.query('INSERT INTO rows VALUES (1, 0), (2, 0)');
});
beforeEach(() => capture.reset());
afterAll(async () => {
  await db?.drop();
  await capture?.stop();
});

const names = (spans: { name: string }[]) => spans.map((span) => span.name);

function only<T>(items: T[]): T {
  expect(items).toHaveLength(1);
  return items[0] as T;
}

test('a transaction span contains an attempt span, which contains the statements of the attempt', async () => {
  await withTransaction(
    pool,
    async (tx) => {
      await tx.query('UPDATE rows SET value = value + 1 WHERE id = $1', [1]);
      await pool.query('SELECT value FROM rows WHERE id = $1', [1]); // the ambient connection
      await pool.knex('rows').where({ id: 2 }).first();
    },
    { isolationLevel: 'repeatable read' },
  );

  const transaction = only(capture.spansNamed('transaction'));
  expect(transaction.attributes).toMatchObject({
    'db.system.name': 'postgresql',
    'db.namespace': db.name,
    'server.address': pool.config.host,
    'server.port': pool.config.port,
    'strata.transaction.isolation_level': 'repeatable read',
    'strata.transaction.attempts': 1,
    'strata.transaction.outcome': 'committed',
  });
  const attempt = only(capture.childrenOf(transaction));
  expect(attempt.name).toBe('transaction.attempt');
  expect(attempt.attributes['strata.transaction.attempt']).toBe(1);
  expect(names(capture.childrenOf(attempt))).toEqual([
    'BEGIN',
    'UPDATE rows',
    'SELECT rows',
    'SELECT rows',
    'COMMIT',
  ]);
});

test('a savepoint gets a span of its own, inside the attempt', async () => {
  await withTransaction(pool, async (tx) => {
    await tx.withTransaction(async (inner) => {
      await inner.query('SELECT 1');
    });
  });
  const attempt = only(capture.spansNamed('transaction.attempt'));
  const savepoint = only(capture.spansNamed('transaction.savepoint'));
  expect(savepoint.parentSpanContext?.spanId).toBe(attempt.spanContext().spanId);
  expect(savepoint.attributes['strata.transaction.depth']).toBe(1);
  expect(names(capture.childrenOf(savepoint))).toEqual(['SAVEPOINT', 'SELECT', 'RELEASE']);
});

test('a rolled-back transaction is marked failed with the error that ended it', async () => {
  const failure = new RangeError('nope');
  await expect(
    withTransaction(pool, async (tx) => {
      await tx.query('SELECT 1');
      throw failure;
    }),
  ).rejects.toBe(failure);
  const transaction = only(capture.spansNamed('transaction'));
  expect(transaction.attributes).toMatchObject({
    'strata.transaction.outcome': 'rolled_back',
    'error.type': 'RangeError',
  });
  expect(transaction.status.code).toBe(2);
  const attempt = only(capture.spansNamed('transaction.attempt'));
  expect(attempt.attributes['error.type']).toBe('RangeError');
  expect(names(capture.childrenOf(attempt))).toEqual(['BEGIN', 'SELECT', 'ROLLBACK']);
});

test('a deadlock between two real transactions shows each attempt, the retry and its reason', async () => {
  await provokeDeadlock(pool);

  const transactions = capture.spansNamed('transaction');
  expect(transactions.map((span) => span.attributes['strata.transaction.attempts']).sort()).toEqual([1, 2]);
  const retried = transactions.find((span) => span.attributes['strata.transaction.attempts'] === 2);
  if (!retried) throw new Error('no retried transaction');
  expect(retried.attributes['strata.transaction.outcome']).toBe('committed');
  expect(retried.status.code).toBe(0);

  const [first, second] = capture.childrenOf(retried);
  expect([
    first?.attributes['strata.transaction.attempt'],
    second?.attributes['strata.transaction.attempt'],
  ]).toEqual([1, 2]);
  expect(first?.attributes).toMatchObject({ 'error.type': '40P01', 'db.response.status_code': '40P01' });
  expect(first?.status).toEqual({ code: 2, message: 'DEADLOCK_DETECTED' });
  expect(second?.status.code).toBe(0);
  // The statement that deadlocked carries the SQLSTATE too.
  const failedStatement = capture
    .childrenOf(first as NonNullable<typeof first>)
    .find((span) => span.status.code === 2);
  expect(failedStatement).toMatchObject({ name: 'UPDATE rows', attributes: { 'error.type': '40P01' } });

  expect(retried.events.map((event) => [event.name, event.attributes?.['error.type']])).toEqual([
    ['transaction.retry', '40P01'],
  ]);
  expect(retried.events[0]?.attributes).toMatchObject({ 'strata.transaction.attempt': 1 });
});

test('a pool with telemetry: false runs its transactions untraced', async () => {
  const quiet = db.pool({ telemetry: false });
  await withTransaction(quiet, (tx) => tx.query('SELECT 1'));
  expect(capture.spans()).toEqual([]);
});
