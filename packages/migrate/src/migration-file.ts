import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Knex } from 'knex';
import { parseDuration } from './duration.js';
import { MigrationDirectoryError, MigrationFileError } from './migration-errors.js';
import {
  assertUniqueSeqs,
  MIGRATION_EXTENSIONS,
  type MigrationName,
  parseMigrationName,
} from './migration-name.js';
import { type MigrationSettings, type ParsedSqlMigration, parseSqlMigration } from './sql-migration-file.js';

/** A migration file read from the directory: its name parts, path, checksum and parsed content. */
export interface MigrationFile extends MigrationName {
  /** Absolute path. */
  path: string;
  /** sha256 of the file's bytes, hex. */
  checksum: string;
  /** `sql` for `.sql` files (parsed here), `module` for `.ts`/`.js` (imported when run). */
  kind: 'sql' | 'module';
  /** The parsed up/down sections of a SQL migration; undefined for modules. */
  sql: ParsedSqlMigration | undefined;
  /** The text of a SQL migration (for the linter); undefined for modules. */
  text: string | undefined;
}

/** What a `.ts`/`.js` migration exports. */
export interface MigrationModule {
  up: (knex: Knex) => Promise<unknown>;
  down: ((knex: Knex) => Promise<unknown>) | undefined;
  settings: MigrationSettings;
}

/** The checksum the history records for a migration file: sha256 of its bytes, hex. */
export const migrationChecksum = (bytes: Uint8Array): string =>
  createHash('sha256').update(bytes).digest('hex');

/** Whether a file of the migrations directory must be a migration (`.sql`, `.ts`, `.js`; not a dotfile or `.d.ts`). */
export const isMigrationCandidate = (fileName: string): boolean =>
  !fileName.startsWith('.') &&
  !fileName.endsWith('.d.ts') &&
  MIGRATION_EXTENSIONS.some((extension) => fileName.endsWith(extension));

/**
 * Reads every migration in `directory` (not recursive), sorted by seq. Files ending in `.sql`,
 * `.ts` or `.js` must be valid migrations (so a typo in a name is an error, not a skipped
 * file); other files, such as a README or schema_design.md, are ignored.
 */
export async function readMigrationDirectory(directory: string): Promise<MigrationFile[]> {
  let entries: string[];
  try {
    entries = (await readdir(directory, { withFileTypes: true }))
      .filter((entry) => entry.isFile() && isMigrationCandidate(entry.name))
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    throw new MigrationDirectoryError(directory, 'cannot be read; check the path', { cause: error });
  }
  const names = entries.map(parseMigrationName);
  assertUniqueSeqs(names);
  const files = await Promise.all(
    names.map(async (name) => {
      const filePath = path.resolve(directory, name.fileName);
      const bytes = await readFile(filePath);
      const kind = name.extension === '.sql' ? 'sql' : 'module';
      const text = kind === 'sql' ? bytes.toString('utf8') : undefined;
      return {
        ...name,
        path: filePath,
        checksum: migrationChecksum(bytes),
        kind,
        sql: text === undefined ? undefined : await parseSqlMigration(name.fileName, text),
        text,
      } satisfies MigrationFile;
    }),
  );
  return files.sort((a, b) => a.seq - b.seq);
}

/**
 * Imports a `.ts`/`.js` migration and checks its exports: `up(knex)` (required), `down(knex)`
 * and `config = { transaction, lockTimeout, statementTimeout }` (optional). Importing `.ts`
 * needs a runtime that loads TypeScript (Node ≥ 22.18, or a loader such as tsx).
 */
export async function importMigrationModule(
  file: Pick<MigrationFile, 'path' | 'fileName'>,
): Promise<MigrationModule> {
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(pathToFileURL(file.path).href)) as Record<string, unknown>;
  } catch (error) {
    const unknownExtension = (error as { code?: string }).code === 'ERR_UNKNOWN_FILE_EXTENSION';
    throw new MigrationFileError(
      file.fileName,
      unknownExtension
        ? 'cannot import a .ts migration in this Node.js; use Node.js ≥ 22.18, run with a TypeScript loader (e.g. node --import tsx), or compile it to .js'
        : `cannot be imported: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  const fail = (problem: string): never => {
    throw new MigrationFileError(file.fileName, problem);
  };
  const { up, down, config } = loaded;
  if (typeof up !== 'function') fail('must export an async function up(knex)');
  if (down !== undefined && typeof down !== 'function') fail('its "down" export must be a function');
  const settings: MigrationSettings = {};
  if (config !== undefined) {
    if (typeof config !== 'object' || config === null) return fail('its "config" export must be an object');
    const { transaction, lockTimeout, statementTimeout, ...unknown } = config as Record<string, unknown>;
    const extra = Object.keys(unknown);
    if (extra.length > 0)
      fail(
        `config has unknown keys: ${extra.join(', ')} (known: transaction, lockTimeout, statementTimeout)`,
      );
    if (transaction !== undefined && typeof transaction !== 'boolean')
      fail('config.transaction must be a boolean');
    settings.transaction = transaction as boolean | undefined;
    for (const [key, value] of [
      ['lockTimeout', lockTimeout],
      ['statementTimeout', statementTimeout],
    ] as const) {
      if (value === undefined) continue;
      const milliseconds = parseDuration(value);
      if (milliseconds === undefined)
        fail(`config.${key} must be milliseconds or a duration such as 5s or 10min`);
      settings[key] = milliseconds;
    }
  }
  return {
    up: up as MigrationModule['up'],
    down: down as MigrationModule['down'],
    settings,
  };
}
