import { on } from 'node:events';
import { type LocalPostgres, type LocalPostgresServer, startPostgres } from '@strata/local-postgres';
import pg from 'pg';
import type { Pool, PoolEvents } from '../pool.js';

/** A primary and its streaming replicas, for one test file. */
export interface ReplicaCluster extends LocalPostgres {
  readonly primary: LocalPostgresServer;
}

/**
 * Starts a primary with `replicas` real streaming replicas. `synchronous_commit` is on (the
 * throwaway default turns it off), so a commit the pool acknowledged survives a SIGKILL.
 */
export async function startCluster(replicas = 1): Promise<ReplicaCluster> {
  const cluster = await startPostgres({
    providers: ['embedded'],
    replicas,
    settings: { synchronous_commit: 'on' },
    log: false,
  });
  return cluster as ReplicaCluster;
}

/** Runs one statement on a connection of its own: the test's view of a server, outside any pool. */
export async function sql<Row = Record<string, unknown>>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as Row[];
  } finally {
    await client.end();
  }
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
