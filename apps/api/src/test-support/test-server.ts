import { randomBytes } from 'node:crypto';
// Brings in the `strataDatabaseUrl` key of vitest's provided context.
import type {} from '@strata/local-postgres/vitest-global-setup';
import pg from 'pg';
import { inject } from 'vitest';
import { type RunningServer, type StartServerOptions, startServer } from '../start-server.js';

/** The URL of the test run's PostgreSQL server (from @strata/local-postgres' global setup). */
export function serverUrl(): string {
  return inject('strataDatabaseUrl');
}

/** The same server, another database. */
export function databaseUrl(name: string): string {
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty database of its own for one test file and returns its name. */
export async function createDatabase(prefix: string): Promise<string> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  await admin((client) => client.query(`create database ${name}`));
  return name;
}

export async function dropDatabase(name: string): Promise<void> {
  await admin((client) => client.query(`drop database if exists ${name} with (force)`));
}

/** A running API for a test file, on a database of its own, with its log lines kept. */
export interface TestServer {
  readonly server: RunningServer;
  readonly url: string;
  /** Every log line the server wrote, as written (JSON). */
  readonly logLines: string[];
  readonly databaseName: string;
  /** Stops the server and drops its database. */
  close(): Promise<void>;
}

/**
 * Starts the real API (`startServer`, the same path as `pnpm start`) on 127.0.0.1 and a free
 * port, against a fresh database on the test server; migrations run at start as in
 * production. The environment is empty, so nothing from the shell leaks in.
 */
export async function startTestServer(
  prefix: string,
  options: Pick<StartServerOptions, 'pool'> & { migrate?: boolean } = {},
): Promise<TestServer> {
  const databaseName = await createDatabase(prefix);
  const logLines: string[] = [];
  try {
    const server = await startServer({
      environment: {},
      config: {
        databaseUrl: databaseUrl(databaseName),
        host: '127.0.0.1',
        port: 0,
        logLevel: 'debug',
        migrate: options.migrate ?? true,
        shutdownTimeoutMs: 5_000,
      },
      pool: { min: 0, ...options.pool },
      logDestination: { write: (line: string) => void logLines.push(line) },
    });
    return {
      server,
      url: server.url,
      logLines,
      databaseName,
      async close() {
        await server.close();
        await dropDatabase(databaseName);
      },
    };
  } catch (error) {
    await dropDatabase(databaseName);
    throw error;
  }
}
