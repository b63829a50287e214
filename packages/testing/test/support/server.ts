import { createServer } from 'node:net';
import pg from 'pg';

/** Runs one statement on `url` with a client of its own. */
export async function query<T>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

/** The names of the databases on the server of `url` that start with `prefix`. */
export async function databasesStartingWith(url: string, prefix: string): Promise<string[]> {
  const rows = await query<{ name: string }>(
    url,
    'select datname as name from pg_database where left(datname, length($1)) = $1 order by 1',
    [prefix],
  );
  return rows.map((row) => row.name);
}

/** A local port nothing listens on: taken from the OS, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
