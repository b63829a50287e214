import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { locatePostgresBinaries } from './postgres-binaries.js';
import { serverIdentity } from './postgres-user.js';
import { startPostgres } from './start-postgres.js';
import { waitUntil } from './wait-until.js';

let folder: string;
let dataDir: string;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function persistentServer(lines: string[] = []) {
  return startPostgres({
    providers: ['embedded'],
    persistent: true,
    dataDir,
    log: (line) => lines.push(line),
  });
}

async function countRows(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>('select count(*)::int as n from kept');
    return rows[0]?.n ?? -1;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  folder = await mkdtemp(path.join(os.tmpdir(), 'strata-leftover-'));
  // As root, PostgreSQL runs as "postgres", which must be able to enter the folder.
  await chmod(folder, 0o755);
  dataDir = path.join(folder, 'data');
  const first = await persistentServer();
  const client = new pg.Client({ connectionString: first.connectionString });
  await client.connect();
  await client.query('create table kept (id int); insert into kept values (1), (2)');
  await client.end();
  await first.stop();
});

afterAll(async () => {
  if (folder) await rm(folder, { recursive: true, force: true });
});

describe('a persistent data directory left in use by an earlier process', () => {
  test('a postmaster still running on it is stopped, the server starts cleanly and says so in one line', async () => {
    // What an owner killed together with its watchdog leaves: a postmaster nobody will stop.
    const { postgres } = await locatePostgresBinaries();
    const identity = await serverIdentity();
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const orphan = spawn(
      postgres,
      [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
      ],
      { ...identity, detached: true, stdio: 'ignore' },
    );
    orphan.unref();
    const orphanPid = orphan.pid as number;
    await waitUntil(
      async () =>
        /^ready/.test(
          (
            (await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[7] ??
            ''
          ).trim(),
        ),
      { timeoutMs: 30_000, timeoutError: () => new Error('the stand-in orphan did not start') },
    );

    const lines: string[] = [];
    const server = await persistentServer(lines);
    try {
      expect(alive(orphanPid)).toBe(false);
      expect(lines.filter((line) => line.includes('earlier process'))).toEqual([
        `[strata] Stopped PostgreSQL (pid ${orphanPid}) that an earlier process left running on ${dataDir}, then started it again.`,
      ]);
      expect(await countRows(server.connectionString)).toBe(2);
    } finally {
      await server.stop();
    }
  });

  test('a postmaster.pid whose pid now belongs to another process is removed, not obeyed', async () => {
    const pidFile = path.join(dataDir, 'postmaster.pid');
    // This test runner's own pid: alive, and certainly not a postmaster of this folder.
    await writeFile(pidFile, `${process.pid}\n${dataDir}\n`);
    const lines: string[] = [];
    const server = await persistentServer(lines);
    try {
      expect(lines).toContain(
        `[strata] Removed a stale postmaster.pid in ${dataDir}: its pid ${process.pid} now belongs to another process.`,
      );
      expect(await countRows(server.connectionString)).toBe(2);
    } finally {
      await server.stop();
    }
  });
});
