import { randomBytes } from 'node:crypto';
import { createTestDatabase } from '@strata/local-postgres/test-database';
import type pg from 'pg';

// The test server and its admin sessions under the names the pool's tests use.
export {
  testServerUrl as serverUrl,
  withAdminConnection as withAdmin,
} from '@strata/local-postgres/test-database';

/** A unique, readable name for a test's application_name or table. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/** Creates an empty database on the test server and returns its URL. */
export async function createDatabase(prefix: string): Promise<string> {
  return (await createTestDatabase({ prefix })).url;
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
