import { UniqueViolationError } from '@strata/errors';
import { InstrumentationTracer, traceOperation } from '@strata/telemetry';
import { captureTelemetry, type TelemetryCapture } from '@strata/telemetry/testing';
import { Model } from 'objection';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { runWithConnection } from './ambient-connection.js';
import { createPool } from './create-pool.js';
import type { Pool } from './pool.js';
import { createDatabase } from './test-support/test-database.js';

let capture: TelemetryCapture;
let url: string;
let pool: Pool;
const database = () => new URL(url).pathname.slice(1);

beforeAll(async () => {
  url = await createDatabase('otel');
  capture = captureTelemetry();
  pool = createPool({ connectionString: url, max: 2, min: 0, poolName: 'test-pool' }, { environment: {} });
  await pool.query('CREATE TABLE accounts (id int PRIMARY KEY, email text UNIQUE NOT NULL)');
  await pool.query("INSERT INTO accounts VALUES (1, 'ann@example.com')");
});
beforeEach(() => capture.reset());
afterAll(async () => {
  await pool?.close();
  await capture?.stop();
});

class Account extends Model {
  static override tableName = 'accounts';
  declare id: number;
}

describe('statement spans', () => {
  test('pool.query: a CLIENT span named "{operation} {table}" with the database semantic conventions', async () => {
    await pool.query('SELECT id, email FROM accounts WHERE email = $1', ['ann@example.com']);
    const [span] = capture.spans();
    expect(span?.name).toBe('SELECT accounts');
    expect(span?.kind).toBe(2); // CLIENT
    expect(span?.instrumentationScope.name).toBe('@strata/pool');
    expect(span?.attributes).toEqual({
      'db.system.name': 'postgresql',
      'db.namespace': database(),
      'server.address': pool.config.host,
      'server.port': pool.config.port,
      'db.operation.name': 'SELECT',
      'db.collection.name': 'accounts',
      'db.query.text': 'SELECT id, email FROM accounts WHERE email = $1',
    });
    expect(span?.status.code).toBe(0); // UNSET: nothing went wrong
  });

  test('db.query.text never holds a value: bound values are not read, inlined literals are replaced', async () => {
    await pool.query('SELECT id FROM accounts WHERE email = $1', ['secret@example.com']);
    await pool.query("SELECT id FROM accounts WHERE email = 'hidden@example.com' AND id > 41");
    await pool.knex('accounts').where({ email: 'knex-secret@example.com' }).first();
    const texts = capture.spans().map((span) => String(span.attributes['db.query.text']));
    expect(texts).toEqual([
      'SELECT id FROM accounts WHERE email = $1',
      'SELECT id FROM accounts WHERE email = ? AND id > ?',
      'select * from "accounts" where "email" = ? limit ?',
    ]);
    expect(texts.join(' ')).not.toMatch(/secret|hidden|41/);
  });

  test('checked-out clients, the ambient connection, Knex and Objection each give one span per statement', async () => {
    const client = await pool.connect();
    try {
      await client.query('SELECT 1');
      await runWithConnection(pool, client, () => pool.query('SELECT count(*) FROM accounts'));
    } finally {
      client.release();
    }
    await pool.knex('accounts').insert({ id: 2, email: 'bo@example.com' });
    await pool.bindModel(Account).query().findById(2);
    expect(capture.spans().map((span) => span.name)).toEqual([
      'SELECT',
      'SELECT accounts',
      'INSERT accounts',
      'SELECT accounts',
    ]);
  });

  test('a failing statement records error.type and db.response.status_code from the SQLSTATE', async () => {
    await expect(
      pool.query('INSERT INTO accounts (id, email) VALUES ($1, $2)', [3, 'ann@example.com']),
    ).rejects.toBeInstanceOf(UniqueViolationError);
    await expect(pool.knex('accounts').insert({ id: 4, email: 'ann@example.com' })).rejects.toBeInstanceOf(
      UniqueViolationError,
    );
    for (const span of capture.spans()) {
      expect(span.name).toBe('INSERT accounts');
      expect(span.attributes['error.type']).toBe('23505');
      expect(span.attributes['db.response.status_code']).toBe('23505');
      expect(span.status).toEqual({ code: 2, message: 'UNIQUE_VIOLATION' });
    }
    expect(capture.spans()).toHaveLength(2);
  });

  test('statement spans are children of the span active where the query was made', async () => {
    const tracer = new InstrumentationTracer('@strata/pool-test').current();
    if (!tracer) throw new Error('the SDK is registered');
    await traceOperation(tracer, 'handler', {}, async () => {
      await pool.query('SELECT 1');
      await pool.knex.raw('SELECT 2');
    });
    const [handler] = capture.spansNamed('handler');
    if (!handler) throw new Error('no handler span');
    expect(capture.childrenOf(handler).map((span) => span.name)).toEqual(['SELECT', 'SELECT']);
  });
});

describe('turning it off', () => {
  test('a pool with telemetry: false makes no spans', async () => {
    const quiet = createPool(
      { connectionString: url, max: 1, min: 0, telemetry: false },
      { environment: {} },
    );
    try {
      await quiet.query('SELECT 1');
      await quiet.knex.raw('SELECT 1');
    } finally {
      await quiet.close();
    }
    expect(capture.spans()).toEqual([]);
  });

  test('without a registered SDK statements run untraced, and a later SDK is picked up', async () => {
    await capture.stop();
    await pool.query('SELECT 1');
    capture = captureTelemetry();
    await pool.query('SELECT 2');
    expect(capture.spans().map((span) => span.attributes['db.query.text'])).toEqual(['SELECT ?']);
  });
});
