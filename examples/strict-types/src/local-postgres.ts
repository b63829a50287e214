import { type LocalPostgres, startPostgres } from '@strata/local-postgres';
import { createTestDatabase, dropDatabase, withAdminConnection } from '@strata/local-postgres/test-database';
import setup from '@strata/local-postgres/vitest-global-setup';

export async function scratchDatabase(): Promise<string> {
  const server: LocalPostgres = await startPostgres({ providers: ['embedded'], log: false });
  const database = await createTestDatabase({ serverUrl: server.connectionString, prefix: 'scratch' });
  const version = await withAdminConnection(
    async (client) => (await client.query<{ v: string }>('show server_version')).rows[0]?.v,
    server.connectionString,
  );
  await dropDatabase(database.name, server.connectionString);
  await server.stop();
  return `${database.url} ${version ?? ''}`;
}

export const globalSetup: unknown = setup;
