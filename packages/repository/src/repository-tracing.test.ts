import { UniqueViolationError } from '@strata/errors';
import { createPool } from '@strata/pool';
import { captureTelemetry, type TelemetryCapture } from '@strata/telemetry/testing';
import { withTransaction } from '@strata/transactions';
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import { createRepository } from './create-repository.js';
import type { Repository } from './repository.js';
import { createTestPool, Measurement, Order, type TestPool, User } from './test-support/fixtures.js';

let capture: TelemetryCapture;
let db: TestPool;
let users: Repository<User>;
let measurements: Repository<Measurement>;

beforeAll(async () => {
  capture = captureTelemetry();
  db = await createTestPool('tracing');
  users = createRepository(db.pool, User, { filterable: ['email'] });
  measurements = createRepository(db.pool, Measurement, { copyThreshold: 3 });
  // Read the catalog descriptions now, so the spans below hold only the operation's own statements.
  await users.create({ email: 'ann@example.com', name: 'Ann' });
  await measurements.createMany([measurement(0)]);
});
beforeEach(() => capture.reset());
afterAll(async () => {
  await db?.close();
  await capture?.stop();
});

function measurement(i: number) {
  return { reading: i, label: `label ${i}`, note: null, amount: '1.5', taken_at: new Date() };
}

function only<T>(items: T[]): T {
  expect(items).toHaveLength(1);
  return items[0] as T;
}

const names = (spans: { name: string }[]) => spans.map((span) => span.name);

test('a repository call is a span holding its statements, named after the method', async () => {
  const ann = await users.findOne({ email: 'ann@example.com' });
  capture.reset();
  await users.getById(ann?.id as string);

  const span = only(capture.spansNamed('repository.getById'));
  expect(span.attributes).toMatchObject({
    'db.system.name': 'postgresql',
    'db.namespace': db.database.name,
    'db.collection.name': 'users',
    'strata.repository.entity': 'User',
  });
  // getById calls findById: one repository span, not two.
  expect(names(capture.spans())).toEqual(['SELECT users', 'repository.getById']);
  expect(only(capture.childrenOf(span)).attributes['db.query.text']).toMatch(/where .*= \$1/i);
});

test('a failed write marks the repository span with the SQLSTATE', async () => {
  await expect(users.create({ email: 'ann@example.com', name: 'Again' })).rejects.toBeInstanceOf(
    UniqueViolationError,
  );
  const span = only(capture.spansNamed('repository.create'));
  expect(span.attributes).toMatchObject({ 'error.type': '23505', 'db.response.status_code': '23505' });
  expect(only(capture.childrenOf(span)).attributes['error.type']).toBe('23505');
});

test("createMany's COPY path: the COPY statement has a span with the rows it stored, inside createMany's", async () => {
  await measurements.createMany([measurement(1), measurement(2), measurement(3), measurement(4)]);

  const span = only(capture.spansNamed('repository.createMany'));
  const statements = capture.childrenOf(span);
  expect(names(statements)).toEqual(['BEGIN', 'SELECT', 'COPY measurements', 'SELECT', 'COMMIT']);
  const copy = statements[2];
  expect(copy?.attributes).toMatchObject({
    'db.operation.name': 'COPY',
    'db.collection.name': 'measurements',
    'strata.copy.rows': 4,
  });
  expect(String(copy?.attributes['db.query.text'])).toMatch(/^copy "measurements" \(.*\) from stdin/i);
});

test('in a transaction, repository spans sit under the attempt with the statements inside them', async () => {
  await withTransaction(db.pool, async () => {
    const bo = await users.create({ email: 'bo@example.com', name: 'Bo' });
    await measurements.createMany([measurement(5), measurement(6), measurement(7)]);
    await users.update(bo.id, { name: 'Bob' });
  });
  const attempt = only(capture.spansNamed('transaction.attempt'));
  expect(names(capture.childrenOf(attempt))).toEqual([
    'BEGIN',
    'repository.create',
    'repository.createMany',
    'repository.update',
    'COMMIT',
  ]);
  const copy = only(capture.spans().filter((span) => span.name === 'COPY measurements'));
  expect(copy.attributes['strata.copy.rows']).toBe(3);
  expect(copy.parentSpanContext?.spanId).toBe(
    only(capture.spansNamed('repository.createMany')).spanContext().spanId,
  );
});

test('a repository on a pool with telemetry: false makes no spans', async () => {
  const quiet = createPool(
    { connectionString: db.database.url, max: 1, min: 0, telemetry: false },
    { environment: {} },
  );
  try {
    await createRepository(quiet, Order).list({ limit: 1 });
  } finally {
    await quiet.close();
  }
  expect(capture.spans()).toEqual([]);
});
