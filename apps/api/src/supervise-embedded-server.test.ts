import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type LocalPostgres, type LocalPostgresServer, startPostgres } from '@strata/local-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { createLogger } from './create-logger.js';
import { superviseEmbeddedServer } from './supervise-embedded-server.js';

let directory: string;
let local: LocalPostgres;
let server: LocalPostgresServer;
beforeAll(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'strata-api-supervise-'));
  await chmod(directory, 0o755); // as root, the postgres user must be able to enter it
  // Persistent, as the API runs it.
  local = await startPostgres({
    providers: ['embedded'],
    persistent: true,
    dataDir: path.join(directory, 'data'),
    log: false,
  });
  server = local.primary as LocalPostgresServer;
  await query('CREATE TABLE kept (id int)');
  await query('INSERT INTO kept VALUES (1)');
}, 120_000);
afterAll(async () => {
  await local?.stop();
  if (directory) await rm(directory, { recursive: true, force: true });
});

async function query(sql: string): Promise<unknown[]> {
  const client = new pg.Client(local.connectionString);
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    level: 'info',
    destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
  });
  return { logger, lines };
}

const killFromOutside = () => process.kill(server.pid() as number, 'SIGKILL');

describe('superviseEmbeddedServer', () => {
  test('a postmaster killed from outside is started again on the same port and data, with one line', async () => {
    const { logger, lines } = capturingLogger();
    const supervision = superviseEmbeddedServer(server, logger);
    try {
      const crashed = server.pid();
      killFromOutside();
      await vi.waitFor(() => expect(lines).toHaveLength(1), { timeout: 60_000, interval: 20 });
      expect(lines[0]).toMatchObject({
        level: 30,
        exit: 'signal SIGKILL',
        attempt: 1,
        msg: expect.stringMatching(
          /^the embedded PostgreSQL exited unexpectedly \(signal SIGKILL\); restarted it in \d+ ms$/,
        ),
      });
      expect(server.pid()).toBeDefined();
      expect(server.pid()).not.toBe(crashed);
      expect(await query('SELECT id FROM kept')).toEqual([{ id: 1 }]);
    } finally {
      await supervision.stop();
    }
  });

  test('attempts that fail are retried with backoff, one warning each, until one succeeds', async () => {
    const { logger, lines } = capturingLogger();
    let refusals = 2;
    const refusingTwice = {
      onExit: server.onExit,
      pid: server.pid,
      start: () =>
        refusals-- > 0 ? Promise.reject(new Error('could not bind: port in use')) : server.start(),
    };
    const supervision = superviseEmbeddedServer(refusingTwice, logger, { firstDelayMs: 10, maxDelayMs: 15 });
    try {
      killFromOutside();
      await vi.waitFor(() => expect(lines).toHaveLength(3), { timeout: 60_000, interval: 20 });
      expect(
        lines.map(({ level, attempt, nextAttemptInMs }) => ({ level, attempt, nextAttemptInMs })),
      ).toEqual([
        { level: 40, attempt: 1, nextAttemptInMs: 10 },
        { level: 40, attempt: 2, nextAttemptInMs: 15 },
        { level: 30, attempt: 3, nextAttemptInMs: undefined },
      ]);
      expect(lines[0]).toMatchObject({ err: { message: 'could not bind: port in use' } });
      expect(await query('SELECT id FROM kept')).toEqual([{ id: 1 }]);
    } finally {
      await supervision.stop();
    }
  });

  test('a stop the owner asked for is not undone, and after stop() a crash is left alone', async () => {
    const { logger, lines } = capturingLogger();
    const supervision = superviseEmbeddedServer(server, logger);
    // Exit listeners run in order, so a restart would have begun (and set a pid) before ours runs.
    const exits: Array<number | undefined> = [];
    const unsubscribe = server.onExit(() => exits.push(server.pid()));
    try {
      await server.stop();
      await server.start();
      await supervision.stop();
      killFromOutside();
      await vi.waitFor(() => expect(exits).toHaveLength(2));
      expect(exits).toEqual([undefined, undefined]);
      expect(lines).toEqual([]);
    } finally {
      unsubscribe();
      await server.start();
    }
  });
});
