import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InvalidConfigError } from '@strata/errors';
import pg from 'pg';
import { afterEach, describe, expect, test } from 'vitest';
import { NoPostgresAvailableError, probeDockerEngine, startPostgres } from './index.js';

async function query<T>(connectionString: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

const savedEnvironment = { ...process.env };
afterEach(() => {
  process.env = { ...savedEnvironment };
});

describe('the embedded provider', () => {
  test('starts PostgreSQL 16 on loopback, answers queries, and removes its files on stop', async () => {
    const server = await startPostgres({ providers: ['embedded'], log: false });
    expect(server.provider).toBe('embedded');
    expect(server.connectionString).toMatch(/^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/postgres$/);

    const [row] = await query<{ server_version_num: string; fsync: string }>(
      server.connectionString,
      "select current_setting('server_version_num') as server_version_num, current_setting('fsync') as fsync",
    );
    expect(Number(row?.server_version_num)).toBeGreaterThanOrEqual(160_000);
    expect(Number(row?.server_version_num)).toBeLessThan(170_000);
    // A throwaway server trades durability for speed.
    expect(row?.fsync).toBe('off');
    expect(server.dataDir && existsSync(server.dataDir)).toBe(true);

    await server.stop();
    expect(existsSync(server.dataDir as string)).toBe(false);
    expect(existsSync(server.logFile as string)).toBe(false);
    await expect(query(server.connectionString, 'select 1')).rejects.toThrow();
  });

  test('persistent mode keeps data and credentials across a restart', async () => {
    const parent = await mkdtemp(path.join(tmpdir(), 'strata-persist-'));
    await chmod(parent, 0o755);
    const dataDir = path.join(parent, 'pg');
    try {
      const first = await startPostgres({ providers: ['embedded'], persistent: true, dataDir, log: false });
      await query(first.connectionString, 'create table kept (id int); insert into kept values (42)');
      const [fsync] = await query<{ fsync: string }>(
        first.connectionString,
        "select current_setting('fsync') as fsync",
      );
      expect(fsync?.fsync).toBe('on');
      await first.stop();
      expect(existsSync(dataDir)).toBe(true);

      const second = await startPostgres({ providers: ['embedded'], persistent: true, dataDir, log: false });
      expect(await query(second.connectionString, 'select id from kept')).toEqual([{ id: 42 }]);
      await second.stop();
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  test('passes server settings through', async () => {
    const server = await startPostgres({
      providers: ['embedded'],
      settings: { work_mem: '7MB' },
      log: false,
    });
    try {
      const [row] = await query<{ work_mem: string }>(server.connectionString, 'show work_mem');
      expect(row?.work_mem).toBe('7MB');
    } finally {
      await server.stop();
    }
  });

  test('a server that cannot start fails with an error that points at its log', async () => {
    const failure = await startPostgres({
      providers: ['embedded'],
      settings: { shared_buffers: 'not-a-size' },
      log: false,
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(NoPostgresAvailableError);
    const attempt = (failure as NoPostgresAvailableError).attempts[0];
    expect(attempt?.provider).toBe('embedded');
    const logFile = /See the server log: (\S+)/.exec(attempt?.outcome ?? '')?.[1];
    expect(logFile).toBeDefined();
    expect(readFileSync(logFile as string, 'utf8')).toMatch(/shared_buffers/);
    await rm(logFile as string, { force: true });
  });

  test('a data directory the postgres user cannot reach is a clear error, not a hang', async () => {
    const parent = await mkdtemp(path.join(tmpdir(), 'strata-private-'));
    try {
      const failure = await startPostgres({
        providers: ['embedded'],
        persistent: true,
        dataDir: path.join(parent, 'pg'),
        log: false,
      }).catch((error: unknown) => error);
      const outcome = (failure as NoPostgresAvailableError).attempts[0]?.outcome;
      expect(outcome).toContain(`chmod o+x ${parent}`);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });
});

describe('the provider chain', () => {
  test('an explicit URL from the environment wins and starts nothing', async () => {
    process.env.STRATA_TEST_DATABASE_URL = 'postgres://app:secret@db.invalid:5432/app';
    const lines: string[] = [];
    const server = await startPostgres({ log: (line) => lines.push(line) });
    expect(server.provider).toBe('url');
    expect(server.connectionString).toBe('postgres://app:secret@db.invalid:5432/app');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('from url');
    expect(lines[0]).not.toContain('secret');
    await server.stop();
  });

  test('STRATA_TEST_DATABASE_URL is preferred over DATABASE_URL', async () => {
    process.env.DATABASE_URL = 'postgres://second@h/db';
    process.env.STRATA_TEST_DATABASE_URL = 'postgres://first@h/db';
    const server = await startPostgres({ log: false });
    expect(server.connectionString).toBe('postgres://first@h/db');
  });

  test('when nothing works, one error says what each step tried and how to fix it', async () => {
    delete process.env.STRATA_TEST_DATABASE_URL;
    delete process.env.DATABASE_URL;
    process.env.DOCKER_HOST = 'unix:///nonexistent/docker.sock';
    const failure = await startPostgres({ providers: ['url', 'docker'], log: false }).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(NoPostgresAvailableError);
    const error = failure as NoPostgresAvailableError;
    expect(error.code).toBe('NO_POSTGRES_AVAILABLE');
    expect(error.attempts.map((attempt) => attempt.provider)).toEqual(['url', 'docker']);
    expect(error.message).toContain('STRATA_TEST_DATABASE_URL, DATABASE_URL: none is set');
    expect(error.message).toContain('/nonexistent/docker.sock');
    expect(error.message).toMatch(/Fix one of/);
  });

  test('invalid options name every bad field', () => {
    const attempt = () =>
      startPostgres({ providers: [], port: 70_000, persistent: true } as unknown as Parameters<
        typeof startPostgres
      >[0]);
    return expect(attempt()).rejects.toSatisfy((error: unknown) => {
      expect(error).toBeInstanceOf(InvalidConfigError);
      const message = (error as Error).message;
      expect(message).toContain('providers');
      expect(message).toContain('port');
      return true;
    });
  });
});

describe('the Docker engine probe', () => {
  test('answers no at once when no socket exists', async () => {
    const started = performance.now();
    const probe = await probeDockerEngine(750, { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    expect(probe.available).toBe(false);
    // Not a timing threshold on our code: a refused dial must not wait for the probe timeout.
    expect(performance.now() - started).toBeLessThan(750);
  });

  test('gives up at its timeout when something listens but never answers', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const probe = await probeDockerEngine(200, { DOCKER_HOST: `tcp://127.0.0.1:${port}` });
      expect(probe).toEqual({ available: false, tried: `127.0.0.1:${port}` });
    } finally {
      silent.close();
    }
  });

  test('says yes to an endpoint that answers /_ping with 200', async () => {
    const engine = createServer((socket) =>
      socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK')),
    );
    await new Promise<void>((resolve) => engine.listen(0, '127.0.0.1', resolve));
    const { port } = engine.address() as { port: number };
    try {
      expect((await probeDockerEngine(500, { DOCKER_HOST: `tcp://127.0.0.1:${port}` })).available).toBe(true);
    } finally {
      engine.close();
    }
  });
});

describe('process integration', () => {
  test('a failing test run still exits non-zero (no exit hook overrides the exit code)', async () => {
    const { spawnSync } = await import('node:child_process');
    const script = [
      "import { startPostgres } from './src/index.ts';",
      "const server = await startPostgres({ providers: ['embedded'], log: false });",
      'await server.stop();',
      'process.exitCode = 3;',
    ].join('\n');
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: path.resolve(import.meta.dirname, '..'),
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(3);
  });

  test('SIGTERM to a process with no handler of its own stops the server and removes its files', async () => {
    const { spawn } = await import('node:child_process');
    const script = [
      "import { startPostgres } from './src/index.ts';",
      "const server = await startPostgres({ providers: ['embedded'], log: false });",
      'console.log(JSON.stringify({ url: server.connectionString, dataDir: server.dataDir }));',
      'setInterval(() => {}, 1000);',
    ].join('\n');
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: path.resolve(import.meta.dirname, '..'),
    });
    const started = await new Promise<{ url: string; dataDir: string }>((resolve, reject) => {
      let output = '';
      child.stdout.on('data', (chunk) => {
        output += chunk;
        if (output.includes('\n')) resolve(JSON.parse(output.split('\n')[0] as string));
      });
      child.on('exit', (code) => reject(new Error(`child exited early with ${code}`)));
    });
    expect(await query(started.url, 'select 1 as one')).toEqual([{ one: 1 }]);
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    child.kill('SIGTERM');
    expect(await exited).toBe('SIGTERM');
    expect(existsSync(started.dataDir)).toBe(false);
    await expect(query(started.url, 'select 1')).rejects.toThrow();
  });
});
