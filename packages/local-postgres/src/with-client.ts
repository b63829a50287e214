import pg from 'pg';

/** The slice of a pg client the cluster helpers use. */
export interface SqlClient {
  query<Row>(text: string, values?: readonly unknown[]): Promise<{ rows: Row[] }>;
}

/** Runs `work` on one fresh connection to `url`, always closing it. */
export async function withClient<T>(url: string, work: (client: SqlClient) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  // An error event after the work (e.g. the server shutting down) must not crash the process.
  client.on('error', () => {});
  await client.connect();
  try {
    return await work(client as unknown as SqlClient);
  } finally {
    await client.end().catch(() => {});
  }
}
