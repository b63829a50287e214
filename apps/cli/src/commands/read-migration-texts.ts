import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { MigrationDirectoryError } from '@strata/migrate';

/** A file of the migrations folder, by name, with its text when it is SQL. */
export interface MigrationText {
  fileName: string;
  sql: string | undefined;
}

/**
 * Lists the migration candidates of a folder (`.sql`, `.ts`, `.js`; not dotfiles or
 * `.d.ts`) without validating their names, so `lint` and `check-design` can report a bad
 * name as a finding instead of stopping at it.
 */
export async function readMigrationTexts(directory: string): Promise<MigrationText[]> {
  let names: string[];
  try {
    names = (await readdir(directory, { withFileTypes: true }))
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name)
      .filter((name) => !name.startsWith('.') && !name.endsWith('.d.ts') && /\.(?:sql|ts|js)$/.test(name))
      .sort();
  } catch (error) {
    throw new MigrationDirectoryError(
      directory,
      'cannot be read; check the path (--dir, STRATA_MIGRATIONS_DIR)',
      {
        cause: error,
      },
    );
  }
  return Promise.all(
    names.map(async (fileName) => ({
      fileName,
      sql: fileName.endsWith('.sql') ? await readFile(path.join(directory, fileName), 'utf8') : undefined,
    })),
  );
}
