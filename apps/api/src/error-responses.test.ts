import type { PoolClient } from '@strata/pool';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PROBLEM_TYPES } from './problem-types.js';
import { expectProblem, http } from './test-support/http.js';
import { startTestServer, type TestServer } from './test-support/test-server.js';
import type { UserResponse } from './user-schemas.js';

let api: TestServer;
const call = (method: string, path: string, options?: Parameters<typeof http>[3]) =>
  http(api.url, method, path, options);

beforeAll(async () => {
  // A pool of two that gives up after 300 ms: holding both connections exhausts it.
  api = await startTestServer('api_errors', { pool: { max: 2, acquireTimeout: 1_000 } });
});

afterAll(async () => {
  await api?.close();
});

describe('requests that cannot be read are 4xx problems, never 500', () => {
  test('malformed JSON is a 400', async () => {
    const response = await call('POST', '/users', {
      body: '{"email": "a@example.com", "name": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(expectProblem(response, 400, 'bad-request').detail).toMatch(/not valid JSON/);
  });

  test('an empty body sent as JSON is a 400', async () => {
    const response = await call('POST', '/users', {
      body: '',
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(response, 400, 'bad-request');
  });

  test('a body that tries prototype pollution is a 400', async () => {
    const response = await call('POST', '/users', {
      body: '{"email":"p@example.com","name":"P","__proto__":{"admin":true}}',
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(response, 400, 'bad-request');
  });

  test('a body that is not JSON is a 415, whatever it claims to be', async () => {
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const response = await call('POST', '/users', {
        body: 'email=a',
        headers: { 'content-type': contentType },
      });
      expectProblem(response, 415, 'unsupported-media-type');
    }
  });

  test('a body over 1 MiB is a 413', async () => {
    const response = await call('POST', '/users', {
      json: { email: 'big@example.com', name: 'x'.repeat(1024 * 1024 + 10) },
    });
    expectProblem(response, 413, 'payload-too-large');
  });

  test('an unknown route or method is a 404 problem that does not echo the URL', async () => {
    const unknown = await call('GET', '/nowhere-<b>x</b>?x=1');
    expect(expectProblem(unknown, 404, 'not-found').instance).toBeUndefined();
    expect(unknown.text).not.toMatch(/nowhere|<b>/);
    expectProblem(await call('PUT', '/users/1', { json: {} }), 404, 'not-found');
    // A routed request's problem names its path.
    expect(expectProblem(await call('GET', '/users/123456'), 404, 'not-found').instance).toBe(
      '/users/123456',
    );
  });
});

describe('problem documents', () => {
  test('every problem type URI describes itself', async () => {
    for (const [slug, kind] of Object.entries(PROBLEM_TYPES)) {
      const response = await call('GET', `/problems/${slug}`);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ type: `/problems/${slug}`, ...kind });
    }
    expectProblem(await call('GET', '/problems/no-such-thing'), 404, 'not-found');
  });

  test('the request id comes back in X-Request-Id and the problem; a plain incoming id is kept', async () => {
    const given = await call('GET', '/users/123456', { headers: { 'x-request-id': 'trace-abc.123' } });
    expect(given.headers.get('x-request-id')).toBe('trace-abc.123');
    expect(expectProblem(given, 404, 'not-found').requestId).toBe('trace-abc.123');
    // An id that could forge log content is replaced by a fresh one.
    const forged = await call('GET', '/users/123456', {
      headers: { 'x-request-id': 'x"}{"level":60,"msg":"forged"' },
    });
    expect(forged.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('pool exhaustion', () => {
  test('is a 503 with Retry-After while every connection is held, and recovers after', async () => {
    const created = await call('POST', '/users', { json: { email: 'pool@example.com', name: 'Pool' } });
    const user = created.body as UserResponse;
    const held: PoolClient[] = [await api.server.pool.connect(), await api.server.pool.connect()];
    try {
      const read = await call('GET', `/users/${user.id}`);
      expect(expectProblem(read, 503, 'overloaded').detail).not.toMatch(/max|acquireTimeout|total/);
      expect(read.headers.get('retry-after')).toBe('1');

      const order = await call('POST', '/orders', {
        json: { userId: user.id, items: [{ productId: '1', qty: 1 }] },
      });
      expectProblem(order, 503, 'overloaded');
      expect(order.headers.get('retry-after')).toBe('1');

      const ready = await call('GET', '/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ status: 'not ready', database: 'unreachable' });
      expect((await call('GET', '/health/live')).status).toBe(200);

      const metrics = await call('GET', '/metrics');
      expect(metrics.text).toMatch(/^strata_pool_connections\{state="active"\} 2$/m);
      const timeouts = Number(/^strata_pool_acquire_timeouts_total (\d+)$/m.exec(metrics.text)?.[1]);
      expect(timeouts).toBeGreaterThanOrEqual(3);
    } finally {
      for (const client of held) client.release();
    }
    const after = await call('GET', `/users/${user.id}`);
    expect(after.status).toBe(200);
    expect((await call('GET', '/health/ready')).status).toBe(200);
  });
});

test('rejected requests are logged without their bodies, and no line holds the database password', () => {
  const password = decodeURIComponent(new URL(api.server.database.connectionString).password);
  const lines = api.logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(api.logLines.filter((line) => line.includes(password))).toEqual([]);
  const overloaded = lines.filter((line) => line.code === 'POOL_TIMEOUT');
  expect(overloaded.length).toBeGreaterThanOrEqual(2);
  for (const line of overloaded) expect(line.level).toBe(40);
  expect(api.logLines.some((line) => line.includes('xxxxxxxxxx'))).toBe(false);
});
