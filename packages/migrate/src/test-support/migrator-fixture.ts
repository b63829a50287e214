import { afterEach, beforeEach } from 'vitest';
import { createMigrator, type Migrator } from '../create-migrator.js';
import type { MigratorOptions } from '../migrator-config.js';
import {
  createMigrationsDirectory,
  createTestDatabase,
  type MigrationsDirectory,
  type TestDatabase,
} from './test-database.js';

/** What a test of migrator runs works with; `db` and `dir` are new for every test. */
export interface MigratorFixture {
  readonly db: TestDatabase;
  readonly dir: MigrationsDirectory;
  /** A migrator on `dir` and `db` (the fixture's defaults, then `options`), closed after the test. */
  migrator(options?: Partial<MigratorOptions>): Migrator;
}

/**
 * Registers hooks that give every test of the file a fresh database and migrations
 * directory, and afterwards close its migrators and remove both. Call at the top level.
 */
export function migratorFixture(defaults: Partial<MigratorOptions> = {}): MigratorFixture {
  let current: { db: TestDatabase; dir: MigrationsDirectory } | undefined;
  const migrators: Migrator[] = [];
  beforeEach(async () => {
    current = { db: await createTestDatabase(), dir: await createMigrationsDirectory() };
  });
  afterEach(async () => {
    await Promise.all(migrators.splice(0).map((migrator) => migrator.close()));
    await current?.db.drop();
    await current?.dir.cleanup();
    current = undefined;
  });
  const now = () => {
    if (current === undefined) throw new Error('migratorFixture: use it inside a test');
    return current;
  };
  return {
    get db() {
      return now().db;
    },
    get dir() {
      return now().dir;
    },
    migrator(options = {}) {
      const { db, dir } = now();
      const created = createMigrator({
        directory: dir.path,
        connectionString: db.connectionString,
        ...defaults,
        ...options,
      } as MigratorOptions);
      migrators.push(created);
      return created;
    },
  };
}
