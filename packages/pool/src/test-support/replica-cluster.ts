import { on } from 'node:events';
import { withAdminConnection } from '@strata/local-postgres/test-database';
import type { Pool, PoolEvents } from '../pool.js';

// A primary with streaming replicas for a test file, as the pool's tests use it.
export {
  startTestCluster as startCluster,
  type TestCluster as ReplicaCluster,
} from '@strata/local-postgres/test-database';

/** Runs one statement on a connection of its own: the test's view of a server, outside any pool. */
export function sql<Row = Record<string, unknown>>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<Row[]> {
  return withAdminConnection(async (client) => (await client.query(text, values)).rows as Row[], url);
}

/** Asks `read` again (every 20 ms) until `accept` likes its answer; the test's timeout bounds it. */
export async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value !== undefined && accept(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The next `event` of `pool` whose payload `matches`. */
export async function nextEvent<E extends keyof PoolEvents>(
  pool: Pool,
  event: E,
  matches: (...payload: PoolEvents[E]) => boolean,
): Promise<PoolEvents[E]> {
  for await (const payload of on(pool, event)) {
    if (matches(...(payload as PoolEvents[E]))) return payload as PoolEvents[E];
  }
  throw new Error(`the pool stopped emitting ${event}`);
}
