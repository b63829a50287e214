import { SerializationFailureError } from '@strata/errors';
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import { databaseAttributes } from './database-target.js';
import { InstrumentationTracer } from './instrumentation-tracer.js';
import { traceStatement } from './statement-span.js';
import { captureTelemetry, type TelemetryCapture } from './testing.js';
import { traceOperation } from './traced-operation.js';

let capture: TelemetryCapture;
const tracer = new InstrumentationTracer('@strata/test');
const base = databaseAttributes({ host: 'db.internal', port: 5432, database: 'shop' });

beforeAll(() => {
  capture = captureTelemetry();
});
beforeEach(() => capture.reset());
afterAll(() => capture.stop());

function currentTracer() {
  const current = tracer.current();
  if (!current) throw new Error('no tracer');
  return current;
}

test('a statement span carries the database, server and statement attributes, never the values', async () => {
  await traceStatement(
    currentTracer(),
    base,
    "SELECT * FROM orders WHERE id = $1 AND note = 'x'",
    async () => 1,
  );
  const [span] = capture.spans();
  expect(span?.name).toBe('SELECT orders');
  expect(span?.kind).toBe(2); // CLIENT
  expect(span?.attributes).toEqual({
    'db.system.name': 'postgresql',
    'db.namespace': 'shop',
    'server.address': 'db.internal',
    'server.port': 5432,
    'db.operation.name': 'SELECT',
    'db.collection.name': 'orders',
    'db.query.text': 'SELECT * FROM orders WHERE id = $1 AND note = ?',
  });
});

test('a failed operation records error.type and the SQLSTATE, and rethrows', async () => {
  const failure = new SerializationFailureError('SERIALIZATION_FAILURE', 'retry', {
    sqlState: '40001',
    serverMessage: 'could not serialize access',
  });
  await expect(
    traceStatement(currentTracer(), base, 'UPDATE accounts SET balance = $1', () => Promise.reject(failure)),
  ).rejects.toBe(failure);
  const [span] = capture.spans();
  expect(span?.attributes['error.type']).toBe('40001');
  expect(span?.attributes['db.response.status_code']).toBe('40001');
  expect(span?.status).toEqual({ code: 2, message: 'SERIALIZATION_FAILURE' });
});

test('spans started inside traceOperation are its children', async () => {
  await traceOperation(currentTracer(), 'outer', {}, async () => {
    await new Promise((resolve) => setTimeout(resolve, 1));
    await traceStatement(currentTracer(), base, 'SELECT 1', async () => 1);
  });
  const [outer] = capture.spansNamed('outer');
  expect(outer).toBeDefined();
  expect(capture.childrenOf(outer as NonNullable<typeof outer>).map((span) => span.name)).toEqual(['SELECT']);
});
