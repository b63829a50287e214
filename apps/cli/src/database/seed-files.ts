import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { mapDatabaseError, StrataError } from '@strata/errors';
import type { Knex } from 'knex';
import { isTypeScriptFile, registerTypeScriptLoader } from '../typescript-loader.js';
import type { SqlClient } from './connect.js';

/** A seed file: `.sql` (run in one transaction) or a `.js`/`.mjs`/`.ts` module exporting `seed(knex)`. */
export interface SeedFile {
  fileName: string;
  path: string;
  kind: 'sql' | 'module';
}

/** A seed failed; its file is named, the database error is the `cause`. */
export class SeedFailedError extends StrataError {
  readonly fileName: string;

  constructor(fileName: string, problem: string, options: { cause?: unknown } = {}) {
    super('SEED_FAILED', `Seed ${fileName} failed: ${problem}`, options);
    this.fileName = fileName;
  }
}

const SEED_FILE = /\.(?:sql|js|mjs|ts|mts)$/;

/** The seed files of a folder, in file-name order (number them: `01_users.sql`, `02_orders.ts`). */
export async function readSeedFiles(directory: string): Promise<SeedFile[]> {
  let names: string[];
  try {
    names = (await readdir(directory, { withFileTypes: true }))
      .filter((entry) => entry.isFile() && !entry.name.startsWith('.') && !entry.name.endsWith('.d.ts'))
      .map((entry) => entry.name)
      .filter((name) => SEED_FILE.test(name))
      .sort();
  } catch (error) {
    throw new StrataError(
      'SEEDS_DIRECTORY_INVALID',
      `Seeds directory "${directory}" cannot be read; check the path (--dir, STRATA_SEEDS_DIR, seedsDir).`,
      { cause: error },
    );
  }
  return names.map((fileName) => ({
    fileName,
    path: path.join(directory, fileName),
    kind: fileName.endsWith('.sql') ? 'sql' : 'module',
  }));
}

/** Runs a SQL seed in one transaction: it applies whole or not at all. */
export async function runSqlSeed(client: SqlClient, file: SeedFile): Promise<void> {
  const sql = await readFile(file.path, 'utf8');
  await client.query('begin');
  try {
    await client.query(sql);
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    const mapped = mapDatabaseError(error);
    throw new SeedFailedError(file.fileName, mapped instanceof Error ? mapped.message : String(mapped), {
      cause: mapped,
    });
  }
}

/** Imports a module seed and runs its `seed(knex)` (or default export) with the given Knex. */
export async function runModuleSeed(knex: Knex, file: SeedFile): Promise<void> {
  if (isTypeScriptFile(file.fileName)) await registerTypeScriptLoader();
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(pathToFileURL(file.path).href)) as Record<string, unknown>;
  } catch (error) {
    throw new SeedFailedError(file.fileName, `cannot be imported: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const seed = typeof loaded.seed === 'function' ? loaded.seed : loaded.default;
  if (typeof seed !== 'function') {
    throw new SeedFailedError(
      file.fileName,
      'must export an async function seed(knex) (or a default function)',
    );
  }
  try {
    await seed(knex);
  } catch (error) {
    const mapped = mapDatabaseError(error);
    throw new SeedFailedError(file.fileName, mapped instanceof Error ? mapped.message : String(mapped), {
      cause: mapped,
    });
  }
}
