import { randomBytes } from 'node:crypto';
import type {} from '@strata/local-postgres/vitest-global-setup';
import pg from 'pg';
import { inject } from 'vitest';

/** The URL of the test run's PostgreSQL server (started by the vitest global setup). */
export function serverUrl(): string {
  const url = inject('strataDatabaseUrl') ?? process.env.STRATA_TEST_DATABASE_URL;
  if (!url) throw new Error('No test database: run through vitest with @strata/local-postgres global setup');
  return url;
}

/** A unique, readable name for a test's database or application_name. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/** Runs `fn` with a plain pg client of its own (the "admin" side of a test). */
export async function withAdmin<T>(fn: (admin: pg.Client) => Promise<T>, url = serverUrl()): Promise<T> {
  const admin = new pg.Client({ connectionString: url, application_name: 'strata_test_admin' });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

/** Creates an empty database on the test server and returns its URL. */
export async function createDatabase(prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  await withAdmin((admin) => admin.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

/** Backend pids of sessions with this application_name (the pool's connections). */
export async function backendsOf(admin: pg.Client, applicationName: string): Promise<number[]> {
  const result = await admin.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE application_name = $1 ORDER BY pid',
    [applicationName],
  );
  return result.rows.map((row) => row.pid);
}

/** Terminates the given backends and waits until the server reports them gone. */
export async function terminate(admin: pg.Client, pids: readonly number[]): Promise<void> {
  await admin.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [pids]);
  for (;;) {
    const { rows } = await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = ANY($1::int[])', [pids]);
    if (rows.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
