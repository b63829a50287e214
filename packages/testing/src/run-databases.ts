import { randomBytes } from 'node:crypto';
import { DatabaseError, mapDatabaseError, StrataError } from '@strata/errors';
import { createTestDatabase, dropDatabase, withAdminConnection } from '@strata/local-postgres/test-database';
import { assertDatabaseName } from './database-name.js';
import { withServerErrors } from './server-errors.js';

// Every database a test run creates is named `strata_test_<run>_w<slot>`: the random run id
// keeps runs (and projects) sharing a server apart, and lets the run drop exactly its own.
const RUN_PREFIX = /^strata_test_[0-9a-f]{8}_w$/;

/** A new run's prefix for its worker databases, `strata_test_<8 hex digits>_w`. */
export function newRunPrefix(): string {
  return `strata_test_${randomBytes(4).toString('hex')}_w`;
}

function assertRunPrefix(prefix: string): string {
  if (!RUN_PREFIX.test(prefix)) {
    throw new StrataError(
      'INVALID_RUN_PREFIX',
      `"${prefix}" is not a test run's database prefix (strata_test_<8 hex digits>_w); the harness only drops databases it named so.`,
    );
  }
  return prefix;
}

/** The database of worker slot `slot` (vitest's `VITEST_POOL_ID`, from 1) in the run of `prefix`. */
export function workerDatabaseName(prefix: string, slot: string | number): string {
  return assertDatabaseName(`${assertRunPrefix(prefix)}${slot}`);
}

/**
 * Clones `template` as `name`. With `ifMissing`, a database of that name already there is
 * fine — it was cloned from the same template for the same worker slot.
 */
export async function cloneTemplate(
  options: { serverUrl: string; template: string; name: string },
  { ifMissing = false } = {},
): Promise<void> {
  const { serverUrl, template, name } = options;
  await withServerErrors(serverUrl, async () => {
    try {
      await createTestDatabase({ serverUrl, template, name });
    } catch (error) {
      const mapped = mapDatabaseError(error);
      // 42P04: duplicate_database.
      if (!(ifMissing && mapped instanceof DatabaseError && mapped.sqlState === '42P04')) throw error;
    }
  });
}

/** Clones the template once per worker slot, all at once: `<prefix>1` … `<prefix><count>`. */
export async function cloneWorkerDatabases(options: {
  serverUrl: string;
  template: string;
  prefix: string;
  count: number;
}): Promise<string[]> {
  const names = Array.from({ length: options.count }, (_, index) =>
    workerDatabaseName(options.prefix, index + 1),
  );
  await Promise.all(names.map((name) => cloneTemplate({ ...options, name })));
  return names;
}

/** Drops every database of the run of `prefix` — those it cloned up front and any a worker added. */
export async function dropRunDatabases(serverUrl: string, prefix: string): Promise<void> {
  const ownPrefix = assertRunPrefix(prefix);
  await withServerErrors(serverUrl, async () => {
    const names = await withAdminConnection(async (client) => {
      const { rows } = await client.query<{ name: string }>(
        'select datname as name from pg_database where left(datname, length($1)) = $1',
        [ownPrefix],
      );
      return rows.map((row) => row.name);
    }, serverUrl);
    await Promise.all(names.map((name) => dropDatabase(name, serverUrl)));
  });
}
