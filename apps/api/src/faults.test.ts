import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { withAdminConnection } from '@strata/local-postgres/test-database';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { OrderResponse } from './order-schemas.js';
import { ApiProcess, assertBuildIsFresh } from './test-support/api-process.js';
import { http } from './test-support/http.js';
import { OrderWriters } from './test-support/order-writers.js';
import { startTestServer } from './test-support/test-server.js';
import type { UserResponse } from './user-schemas.js';

// The API under real faults. `STRATA_FAULTS=long` runs the same scenarios with more clients,
// longer and repeatedly.
const LONG = process.env.STRATA_FAULTS === 'long';
const PROFILE = LONG ? { writers: 32, loadMs: 3_000, cycles: 3 } : { writers: 8, loadMs: 500, cycles: 1 };
const TEST_TIMEOUT_MS = LONG ? 600_000 : 120_000;

/** One parseable line per figure: `[faults] <scenario>: <figures>`. */
const report = (scenario: string, figures: string) => console.info(`[faults] ${scenario}: ${figures}`);

async function createUser(url: string, email: string): Promise<UserResponse> {
  const response = await http(url, 'POST', '/users', { json: { email, name: 'Faults' } });
  expect(response.status, response.text).toBe(201);
  return response.body as UserResponse;
}

/** Every order of a user, read back through the API, by id. */
async function ordersOf(url: string, userId: string): Promise<Map<string, OrderResponse>> {
  const found = new Map<string, OrderResponse>();
  for (let after: string | null = null; ; ) {
    const query: string = after ? `&after=${encodeURIComponent(after)}` : '';
    const page = await http(url, 'GET', `/users/${userId}/orders?limit=100${query}`);
    expect(page.status, page.text).toBe(200);
    const { items, nextCursor } = page.body as { items: OrderResponse[]; nextCursor: string | null };
    for (const order of items) found.set(order.id, order);
    if (nextCursor === null) return found;
    after = nextCursor;
  }
}

/** Acknowledged orders missing, or stored with other items than the 201 said. */
function missingOrChanged(acknowledged: readonly OrderResponse[], found: Map<string, OrderResponse>) {
  return acknowledged.filter((order) => JSON.stringify(found.get(order.id)) !== JSON.stringify(order));
}

/** Anything but a 201, or a 503 database-unavailable with Retry-After, from the writers. */
const unexpectedAnswers = (writers: OrderWriters) =>
  writers.sent.filter(
    (sent) =>
      sent.status !== 201 &&
      !(sent.status === 503 && sent.problem === '/problems/database-unavailable' && sent.retryAfter !== null),
  );

describe('backends of the API pool terminated under load', () => {
  test('every request gets 201 or 503 database-unavailable + Retry-After, at most one 503 per backend, none afterwards', async () => {
    const applicationName = `api_faults_${process.pid}`;
    const api = await startTestServer('api_faults', { pool: { applicationName, max: 5, min: 5 } });
    try {
      await api.server.pool.ready();
      const user = await createUser(api.url, 'terminated@example.com');
      const writers = new OrderWriters(api.url, user.id, PROFILE.writers);
      await sleep(PROFILE.loadMs);
      const terminated = await withAdminConnection(async (admin) => {
        const { rows } = await admin.query<{ pid: number }>(
          'SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
          [applicationName],
        );
        await vi.waitFor(
          async () => {
            const alive = await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = ANY($1::int[])', [
              rows.map((row) => row.pid),
            ]);
            expect(alive.rows).toEqual([]);
          },
          { timeout: 20_000, interval: 20 },
        );
        return rows.length;
      });
      const goneAt = performance.now();
      await writers.allServedAfter(goneAt);
      await sleep(PROFILE.loadMs);
      await writers.stop();

      const found = await ordersOf(api.url, user.id);
      const failed = writers.sent.filter((sent) => sent.status !== 201);
      const failedAfter = failed.filter((sent) => sent.startedAt > goneAt);
      report(
        'api-backends-terminated',
        `terminated ${terminated}, requests ${writers.sent.length}, statuses ${JSON.stringify(writers.histogram())}, ` +
          `failed after termination ${failedAfter.length}, acknowledged ${writers.acknowledged.length}, found ${found.size}`,
      );
      expect(terminated).toBe(5);
      expect(unexpectedAnswers(writers)).toEqual([]);
      expect(failed.length).toBeLessThanOrEqual(terminated);
      expect(failedAfter).toEqual([]);
      expect(missingOrChanged(writers.acknowledged, found)).toEqual([]);
      expect((await http(api.url, 'GET', '/health/ready')).status).toBe(200);
    } finally {
      await api.close();
    }
  });
});

describe('the API as a process (node dist/main.js) with its embedded PostgreSQL', () => {
  let directory: string;
  let environment: Record<string, string>;
  let api: ApiProcess | undefined;
  let url: string;
  let user: UserResponse;
  const acknowledged: OrderResponse[] = [];

  beforeAll(async () => {
    assertBuildIsFresh();
    directory = await mkdtemp(path.join(os.tmpdir(), 'strata-api-faults-'));
    await chmod(directory, 0o755); // as root, the postgres user must be able to enter it
    environment = { PORT: '0', STRATA_API_DATA_DIR: path.join(directory, 'postgres'), LOG_LEVEL: 'info' };
    api = new ApiProcess(environment);
    url = await api.listening();
    user = await createUser(url, 'process@example.com');
  }, 180_000);
  afterAll(async () => {
    await api?.stop();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  test(
    'kill -9 of the postmaster: 503 + Retry-After meanwhile, the API restarts it, readiness flips back, nothing acknowledged lost',
    async () => {
      const running = api as ApiProcess;
      const writers = new OrderWriters(url, user.id, PROFILE.writers);
      const readiness: Array<{ at: number; status: number | 'network-error' }> = [];
      let probing = true;
      const prober = (async () => {
        while (probing) {
          const status = await fetch(`${url}/health/ready`).then(
            (response) => response.status,
            () => 'network-error' as const,
          );
          readiness.push({ at: performance.now(), status });
          await sleep(50);
        }
      })();

      for (let cycle = 1; cycle <= PROFILE.cycles; cycle++) {
        await sleep(PROFILE.loadMs);
        const postmaster = Number(
          readFileSync(path.join(environment.STRATA_API_DATA_DIR as string, 'postmaster.pid'), 'utf8').split(
            '\n',
          )[0],
        );
        const from = writers.sent.length;
        const killedAt = performance.now();
        process.kill(postmaster, 'SIGKILL');
        const restarts = () =>
          running.lines.filter(
            (line) => line.includes('exited unexpectedly') && line.includes('restarted it'),
          );
        await vi.waitFor(() => expect(restarts()).toHaveLength(cycle), { timeout: 60_000, interval: 20 });
        const restartedAt = performance.now();
        const servedAt = await writers.allServedAfter(restartedAt);
        const notReady = readiness.filter(({ at, status }) => at > killedAt && status !== 200);
        const refused = writers.sent.slice(from).filter((sent) => sent.status === 503);
        const slowest503 = Math.max(0, ...refused.map((sent) => sent.endedAt - sent.startedAt));
        report(
          `api-postgres-sigkill${LONG ? `-${cycle}` : ''}`,
          `requests ${writers.sent.length - from}, statuses ${JSON.stringify(writers.histogram(from))}, ` +
            `recovery ${Math.round(servedAt - killedAt)} ms after the kill (${Math.max(0, Math.round(servedAt - restartedAt))} ms after the restart line), ` +
            `slowest 503 ${Math.round(slowest503)} ms, readiness not ready ${notReady.length}× (${JSON.stringify([...new Set(notReady.map(({ status }) => status))])})`,
        );
        expect(readiness.filter(({ at }) => at > killedAt).map(({ status }) => status)).toContain(503);
      }
      await sleep(PROFILE.loadMs);
      await writers.stop();
      probing = false;
      await prober;
      acknowledged.push(...writers.acknowledged);

      const found = await ordersOf(url, user.id);
      report(
        'api-postgres-sigkill',
        `requests ${writers.sent.length + readiness.length} (${readiness.length} readiness probes), ` +
          `statuses ${JSON.stringify(writers.histogram())}, acknowledged ${acknowledged.length}, found ${found.size}`,
      );
      expect(unexpectedAnswers(writers)).toEqual([]);
      expect(new Set(readiness.map(({ status }) => status))).toEqual(new Set([200, 503]));
      expect(readiness.at(-1)?.status).toBe(200);
      expect(missingOrChanged(acknowledged, found)).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'SIGKILL of the API mid-write: it starts again on the same data, and every acknowledged order is there with all its items',
    async () => {
      for (let cycle = 1; cycle <= PROFILE.cycles; cycle++) {
        const killed = api as ApiProcess;
        const writers = new OrderWriters(url, user.id, PROFILE.writers);
        await sleep(PROFILE.loadMs);
        killed.child.kill('SIGKILL');
        await killed.exited;
        await writers.stop();
        acknowledged.push(...writers.acknowledged);

        // At once: the watchdog of the killed process may still be stopping its postmaster.
        const startedAt = performance.now();
        api = new ApiProcess(environment);
        url = await api.listening();
        const leftover = api.lines.some((line) => line.includes('that an earlier process left running'));
        const found = await ordersOf(url, user.id);
        report(
          `api-process-sigkill${LONG ? `-${cycle}` : ''}`,
          `requests ${writers.sent.length}, statuses ${JSON.stringify(writers.histogram())}, ` +
            `restart ${Math.round(performance.now() - startedAt)} ms${leftover ? ' (stopped a leftover postmaster first)' : ''}, ` +
            `acknowledged ${acknowledged.length}, found ${found.size}`,
        );
        expect(writers.sent.filter((sent) => sent.status !== 201 && sent.status !== 'network-error')).toEqual(
          [],
        );
        expect(writers.acknowledged.length).toBeGreaterThan(0);
        expect(missingOrChanged(acknowledged, found)).toEqual([]);
      }
      expect((await http(url, 'GET', '/health/ready')).status).toBe(200);
    },
    TEST_TIMEOUT_MS,
  );
});
