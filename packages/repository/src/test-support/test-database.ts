import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

// The global setup of @strata/local-postgres provides this; declared here too so the type holds
// even when that package's copy of vitest resolves to another install path than ours.
declare module 'vitest' {
  export interface ProvidedContext {
    strataDatabaseUrl: string;
  }
}

/** A database of its own on the shared test server, dropped by `drop()`. Test-only. */
export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database named after `purpose` on the server the vitest global setup started. */
export async function createTestDatabase(purpose: string): Promise<TestDatabase> {
  const serverUrl = inject('strataDatabaseUrl') ?? process.env.STRATA_TEST_DATABASE_URL;
  if (!serverUrl)
    throw new Error('No test server: run through vitest with @strata/local-postgres/vitest-global-setup');
  const name = `repository_${purpose}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
