// Test support: runs the built `strata` binary as a subprocess, and gives each test file its
// own database on the shared PostgreSQL server and its own temporary folders.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase as createServerDatabase } from '@strata/local-postgres/test-database';
import pg from 'pg';

/** The shared server's URL (its `postgres` database). */
export { testServerUrl as serverUrl } from '@strata/local-postgres/test-database';

export const BIN = path.resolve(import.meta.dirname, '..', 'dist', 'bin.js');

export interface StrataRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as the `--json` document. */
  json<T = Record<string, unknown>>(): T;
}

/**
 * Runs `node dist/bin.js ...args` with a clean environment: PATH and HOME, plus `env`. Nothing
 * leaks in from the test process (no DATABASE_URL unless given), and stdout is a pipe, so
 * colours are off unless FORCE_COLOR is set.
 */
export function strata(
  args: readonly string[],
  options: { env?: Record<string, string | undefined>; cwd?: string } = {},
): Promise<StrataRun> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir() };
  for (const [key, value] of Object.entries(options.env ?? {})) if (value !== undefined) env[key] = value;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env, cwd: options.cwd ?? os.tmpdir(), maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({
          code,
          stdout,
          stderr,
          json<T>() {
            try {
              return JSON.parse(stdout) as T;
            } catch {
              throw new Error(`stdout is not JSON (exit ${code}):\n${stdout}\nstderr:\n${stderr}`);
            }
          },
        });
      },
    );
  });
}

export interface TestDatabase {
  name: string;
  url: string;
  query<T = Record<string, unknown>>(sql: string, values?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

/** A fresh database on the shared server, named `strata_test_cli_<prefix>_<random>`. */
export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const database = await createServerDatabase({ prefix: `cli_${prefix}` });
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  // drop() ends sessions WITH (FORCE); a session still closing then gets 57P01, which must not
  // surface as an uncaught error of the test run.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return {
    name: database.name,
    url: database.url,
    async query<T>(sql: string, values?: unknown[]) {
      return (await pool.query(sql, values)).rows as T[];
    },
    async drop() {
      await pool.end();
      await database.drop();
    },
  };
}

export interface TempFolder {
  path: string;
  /** Writes `content` to `relative` (folders are created). */
  write(relative: string, content: string): Promise<string>;
  remove(relative: string): Promise<void>;
  cleanup(): Promise<void>;
}

/**
 * A temporary folder under this package (`.test-tmp/`, git-ignored), not the system's tmp,
 * so that `.ts` migrations, seeds and config files in it resolve `@strata/migrate` and
 * friends from apps/cli/node_modules (and, unlike a folder inside node_modules, tsx compiles them).
 */
export async function createTempFolder(): Promise<TempFolder> {
  const base = path.resolve(import.meta.dirname, '..', '.test-tmp');
  await mkdir(base, { recursive: true });
  const folder = await mkdtemp(path.join(base, 'run-'));
  return {
    path: folder,
    async write(relative, content) {
      const file = path.join(folder, relative);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, content);
      return file;
    },
    remove: (relative) => rm(path.join(folder, relative), { force: true }),
    cleanup: () => rm(folder, { recursive: true, force: true }),
  };
}
