import { SessionFeatureUnsupportedError } from '@strata/errors';
import {
  createTestDatabase,
  databaseUrl,
  startTestPgBouncer,
  type TestDatabase,
} from '@strata/local-postgres/test-database';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startServer } from './start-server.js';
import { http } from './test-support/http.js';
import type { UserResponse } from './user-schemas.js';

// A real PgBouncer in transaction mode; skipped without PgBouncer unless CI=true.
const bouncer = await startTestPgBouncer({ poolMode: 'transaction' });

let database: TestDatabase;
beforeAll(async () => {
  if (bouncer) database = await createTestDatabase({ prefix: 'api_pgbouncer' });
});
afterAll(async () => {
  await database?.drop();
  await bouncer?.stop();
});

const start = (migrationUrl: string | undefined, logLines: string[]) =>
  startServer({
    environment: {},
    config: {
      databaseUrl: databaseUrl(bouncer?.url as string, database.name),
      migrationUrl,
      host: '127.0.0.1',
      port: 0,
      logLevel: 'info',
      shutdownTimeoutMs: 5_000,
    },
    pool: { min: 0, max: 8 },
    logDestination: { write: (line: string) => void logLines.push(line) },
  });

describe.skipIf(bouncer === undefined)('the API behind PgBouncer in transaction mode', () => {
  test('without STRATA_MIGRATION_DATABASE_URL, migrating at start fails with a typed error naming the way out', async () => {
    const error = await start(undefined, []).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(SessionFeatureUnsupportedError);
    expect((error as Error).message).toContain('STRATA_MIGRATION_DATABASE_URL');
  });

  test('with it, the migrator runs on its own direct pool and the API serves through PgBouncer', async () => {
    const logLines: string[] = [];
    const server = await start(database.url, logLines);
    try {
      expect(server.pool.pgbouncer).toBe('transaction');
      const messages = logLines.map((line) => String(JSON.parse(line).msg));
      expect(messages).toContainEqual(expect.stringMatching(/^PgBouncer in transaction pooling mode/));
      expect(messages).toContain('the migrator uses its own direct connection');
      const created = await http(server.url, 'POST', '/users', {
        json: { email: 'ann@example.com', name: 'Ann' },
      });
      expect(created.status, created.text).toBe(201);
      const { id } = created.body as UserResponse;
      const read = await http(server.url, 'GET', `/users/${id}`);
      expect(read.status).toBe(200);
      expect((await http(server.url, 'GET', '/health/ready')).status).toBe(200);
      expect(logLines.join('\n')).not.toContain(decodeURIComponent(new URL(database.url).password));
    } finally {
      await server.close();
    }
  });
});
