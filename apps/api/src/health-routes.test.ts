import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createMigrator } from '@strata/migrate';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MIGRATIONS_DIRECTORY } from './app-config.js';
import { checkReadiness } from './readiness.js';
import { http } from './test-support/http.js';
import { startTestServer, type TestServer } from './test-support/test-server.js';

// Migrations do not run at start here (STRATA_API_MIGRATE=false), as where they are a
// deploy step of their own: the API must say it is not ready until they have run.
let api: TestServer;
const call = (method: string, path: string) => http(api.url, method, path);

beforeAll(async () => {
  api = await startTestServer('api_health', { migrate: false });
});

afterAll(async () => {
  await api?.close();
});

describe('health', () => {
  test('readiness: 503 listing the pending pre-deploy migrations, 200 once they ran; liveness always 200', async () => {
    expect((await call('GET', '/health/live')).body).toEqual({ status: 'ok' });
    const before = await call('GET', '/health/ready');
    expect(before.status).toBe(503);
    expect(before.body).toEqual({
      status: 'not ready',
      database: 'ok',
      pendingMigrations: [
        '001_users_expand_create_users',
        '002_orders_expand_create_orders',
        '003_orders_expand_create_order_items',
      ],
      replicas: [],
    });

    const { applied } = await api.server.migrator.up();
    expect(applied).toHaveLength(3);
    const after = await call('GET', '/health/ready');
    expect(after.status).toBe(200);
    expect(after.body).toEqual({ status: 'ready', database: 'ok', pendingMigrations: [], replicas: [] });
  });

  test('a pending contract migration does not make the API unready: it runs after the deploy', async () => {
    const directory = await mkdtemp(path.join(os.tmpdir(), 'strata-api-contract-'));
    try {
      for (const file of await readdir(MIGRATIONS_DIRECTORY)) {
        await copyFile(path.join(MIGRATIONS_DIRECTORY, file), path.join(directory, file));
      }
      await writeFile(
        path.join(directory, '004_users_contract_drop_name_length.sql'),
        '-- migrate:up\nALTER TABLE users DROP CONSTRAINT users_name_length;\n',
      );
      const migrator = createMigrator({ directory, knex: api.server.pool.knex });
      const status = await migrator.status();
      // Waiting for the deploy gate (`blocked`), not applied.
      expect(status.migrations.map((migration) => [migration.name, migration.state])).toContainEqual([
        '004_users_contract_drop_name_length',
        'blocked',
      ]);
      expect(await checkReadiness(api.server.pool, migrator)).toEqual({
        ready: true,
        database: 'ok',
        pendingMigrations: [],
        replicas: [],
      });
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe('GET /metrics', () => {
  test('is Prometheus text with the pool state and request durations by route template', async () => {
    await call('GET', '/users/1');
    await call('GET', '/users/2');
    const response = await call('GET', '/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = response.text;
    for (const state of ['total', 'idle', 'active', 'opening']) {
      expect(text).toMatch(new RegExp(`^strata_pool_connections\\{state="${state}"\\} \\d+$`, 'm'));
    }
    expect(text).toMatch(/^strata_pool_max_connections 25$/m);
    expect(text).toMatch(/^strata_pool_waiting_requests 0$/m);
    expect(text).toMatch(/^strata_pool_acquire_latency_seconds\{quantile="0.99"\} [0-9.e-]+$/m);
    expect(text).toMatch(/^strata_pool_acquisitions_total [1-9]\d*$/m);
    // One series for both ids: the label is the route template, not the URL.
    expect(text).toMatch(
      /^http_request_duration_seconds_count\{method="GET",route="\/users\/:id",status_code="404"\} 2$/m,
    );
    expect(text).toMatch(/^process_cpu_seconds_total /m);
  });
});

describe('OpenAPI and docs', () => {
  test('the OpenAPI document describes every route, generated from the zod schemas', async () => {
    const response = await call('GET', '/docs/json');
    expect(response.status).toBe(200);
    const document = response.body as {
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths).sort()).toEqual([
      '/health/live',
      '/health/ready',
      '/metrics',
      '/orders',
      '/orders/{id}',
      '/problems/{slug}',
      '/users',
      '/users/{id}',
      '/users/{id}/orders',
    ]);
    expect(Object.keys(document.paths['/users/{id}'] ?? {}).sort()).toEqual(['delete', 'get', 'patch']);
    const createUser = document.paths['/users']?.post;
    expect(JSON.stringify(createUser?.requestBody)).toMatch(/#\/components\/schemas\/NewUserInput/);
    expect(document.components.schemas.NewUserInput).toMatchObject({
      type: 'object',
      properties: { email: { type: 'string', maxLength: 254 }, name: { type: 'string', maxLength: 200 } },
      required: ['email', 'name'],
      additionalProperties: false,
    });
    expect(Object.keys(createUser?.responses ?? {}).sort()).toEqual(['201', '400', '409', '503']);
    expect(JSON.stringify(createUser?.responses['409'])).toMatch(/application\/problem\+json/);
    const schemas = Object.keys(document.components.schemas).join(' ');
    for (const name of ['User', 'NewUser', 'Order', 'NewOrder', 'Problem']) expect(schemas).toMatch(name);
  });

  test('the docs page is served at /docs', async () => {
    const response = await fetch(`${api.url}/docs`);
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/swagger-ui/i);
  });
});
