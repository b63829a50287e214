import pg from 'pg';

/** Runs `fn` with a short-lived connection to the server's maintenance database. */
export async function withAdminConnection<T>(
  serverUrl: string,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl, application_name: 'strata-testing' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
