import pg from 'pg';
import { testServerUrl } from './test-server-url.js';

/**
 * Runs `fn` with a pg client of its own on `url` — by default the test server's maintenance
 * database, with the rights to create, drop and terminate — and ends the client afterwards,
 * whether `fn` succeeds or throws. Its `application_name` is `strata_test_admin`, so tests
 * that count a pool's sessions by name never count it.
 */
export async function withAdminConnection<T>(
  fn: (client: pg.Client) => Promise<T>,
  url: string = testServerUrl(),
): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'strata_test_admin' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
