import {
  databaseUrl,
  startTestCluster,
  type TestCluster,
  withAdminConnection,
} from '@strata/local-postgres/test-database';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WAL_POSITION_HEADER } from './read-your-writes.js';
import { expectProblem, http } from './test-support/http.js';
import { startTestServer, type TestServer } from './test-support/test-server.js';

// The API with a real streaming replica (DATABASE_REPLICA_URLS): GETs read from it, each client
// reading its own writes through the X-Wal-Position header it sends back.
let cluster: TestCluster;
let replicaServerUrl: string;
let api: TestServer;
let email = 0;

const onReplica = <Row = Record<string, unknown>>(text: string, database?: string) =>
  withAdminConnection(
    async (client) => (await client.query(text)).rows as Row[],
    database === undefined ? replicaServerUrl : databaseUrl(replicaServerUrl, database),
  );

async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check().catch(() => false))) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** One client: it keeps the last X-Wal-Position it got and sends it with every request. */
function client() {
  let position: string | undefined;
  return {
    async call(method: string, path: string, json?: unknown) {
      const headers: Record<string, string> = position ? { [WAL_POSITION_HEADER]: position } : {};
      const response = await http(api.url, method, path, { json, headers });
      position = response.headers.get(WAL_POSITION_HEADER) ?? position;
      return response;
    },
    get position() {
      return position;
    },
  };
}

beforeAll(async () => {
  cluster = await startTestCluster(1);
  replicaServerUrl = (cluster.replicas[0] as { url: string }).url;
  api = await startTestServer('api_replicas', {
    cluster: { primaryUrl: cluster.connectionString, replicaUrls: [replicaServerUrl] },
    pool: { topologyCheckPeriod: 100, maxReplicaLag: 60_000, readYourWritesTimeout: 500 },
  });
  // The migrated schema has reached the replica, and the pool counts it healthy.
  await until(async () => {
    const [row] = await onReplica<{ users: string | null }>(
      "SELECT to_regclass('users')::text AS users",
      api.databaseName,
    );
    return row?.users === 'users';
  });
  await until(async () => api.server.pool.topology().replicas[0]?.state === 'healthy');
});

afterAll(async () => {
  await api?.close();
  await cluster?.stop();
});

describe('read-your-writes per client', () => {
  test('a client that creates a user and reads it back always sees it, also while the replica lags', async () => {
    const ann = client();
    for (const paused of [false, true, true, false]) {
      if (paused) await onReplica('SELECT pg_wal_replay_pause()');
      try {
        const created = await ann.call('POST', '/users', {
          email: `user${email++}@example.com`,
          name: 'Ann',
        });
        expect(created.status).toBe(201);
        expect(created.headers.get(WAL_POSITION_HEADER)).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
        const id = (created.body as { id: string }).id;
        const read = await ann.call('GET', `/users/${id}`);
        expect(read.status, read.text).toBe(200);
        expect(read.body).toMatchObject({ id, name: 'Ann' });
        if (paused) {
          // A client without the header reads from the replica, which has not replayed the insert.
          expect((await http(api.url, 'GET', `/users/${id}`)).status).toBe(404);
        }
      } finally {
        if (paused) await onReplica('SELECT pg_wal_replay_resume()');
      }
    }
  });

  test('a read echoes the position it honoured; a write returns a later one', async () => {
    const bob = client();
    await bob.call('POST', '/users', { email: `user${email++}@example.com`, name: 'Bob' });
    const afterWrite = bob.position;
    const page = await bob.call('GET', '/users?limit=1');
    expect(page.status).toBe(200);
    expect(page.headers.get(WAL_POSITION_HEADER)).toBe(afterWrite);
    const id = (await bob.call('POST', '/users', { email: `user${email++}@example.com`, name: 'Bo' }))
      .body as {
      id: string;
    };
    expect(bob.position).not.toBe(afterWrite);
    expect((await bob.call('GET', `/users/${id.id}`)).status).toBe(200);
  });

  test('an X-Wal-Position that is not one is a 400 naming the header', async () => {
    const response = await http(api.url, 'GET', '/users?limit=1', {
      headers: { [WAL_POSITION_HEADER]: 'soon' },
    });
    const problem = expectProblem(response, 400, 'validation-error');
    expect(problem.errors).toEqual([expect.objectContaining({ in: 'header', field: WAL_POSITION_HEADER })]);
  });
});

describe('/health/ready', () => {
  test('reports each replica with its state and lag', async () => {
    const response = await http(api.url, 'GET', '/health/ready');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      status: 'ready',
      database: 'ok',
      replicas: [
        {
          host: '127.0.0.1',
          port: Number(new URL(replicaServerUrl).port),
          state: 'healthy',
          lagMs: expect.any(Number),
        },
      ],
    });
  });
});
