import { randomBytes } from 'node:crypto';
import { InvalidConfigError, quoteIdentifier } from '@strata/errors';
import { z } from 'zod';
import { withAdminConnection } from './admin-connection.js';
import { databaseUrl } from './database-url.js';
import { dropDatabase } from './drop-database.js';
import { testServerUrl } from './test-server-url.js';

// PostgreSQL keeps the first 63 bytes of a name (NAMEDATALEN - 1) and silently drops the
// rest, after which the database's URL would name another one.
const MAX_NAME_BYTES = 63;
const NAME_START = 'strata_test_';
const RANDOM_BYTES = 5;
// `strata_test_<prefix>_<10 hex digits>` must fit in 63 bytes.
const MAX_PREFIX_LENGTH = MAX_NAME_BYTES - NAME_START.length - 1 - 2 * RANDOM_BYTES;

const databaseName = z
  .string()
  .min(1)
  .refine((name) => Buffer.byteLength(name, 'utf8') <= MAX_NAME_BYTES, {
    message: `must be at most ${MAX_NAME_BYTES} bytes`,
  });

/** Options of `createTestDatabase`; every default is here. */
const createTestDatabaseOptionsSchema = z
  .strictObject({
    /** Names the database `strata_test_<prefix>_<random>`, so that it is recognisable on the server. */
    prefix: z
      .string()
      .regex(/^[a-z0-9_]+$/, 'use lower-case letters, digits and underscores')
      .max(MAX_PREFIX_LENGTH)
      .optional(),
    /** The exact name instead of a generated one. */
    name: databaseName.optional(),
    /** Copy this database (`CREATE DATABASE … TEMPLATE`); an empty database when omitted. */
    template: databaseName.optional(),
    /** A URL of the server (any database on it) whose role may create databases; `testServerUrl()` when omitted. */
    serverUrl: z.string().min(1).optional(),
  })
  .refine((options) => options.prefix === undefined || options.name === undefined, {
    path: ['name'],
    message: 'give either a prefix or a name, not both',
  });

export type CreateTestDatabaseOptions = z.input<typeof createTestDatabaseOptionsSchema>;

/** A database of its own on the test server. */
export interface TestDatabase {
  /** The database's name. */
  readonly name: string;
  /** The server's URL and credentials, pointing at this database. */
  readonly url: string;
  /** Drops this database, ending any session still connected to it. Runs once however often called. */
  drop(): Promise<void>;
}

function parseOptions(options: CreateTestDatabaseOptions): z.output<typeof createTestDatabaseOptionsSchema> {
  const result = createTestDatabaseOptionsSchema.safeParse(options);
  if (!result.success) {
    throw new InvalidConfigError(
      'createTestDatabase',
      result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    );
  }
  return result.data;
}

/**
 * Creates a database of its own for a test file on the test server (`serverUrl`, else
 * `testServerUrl()`): empty, or a copy of `template`, named `strata_test_<prefix>_<random>`
 * unless `name` is given. `drop()` removes that database and no other. Throws
 * `InvalidConfigError` naming each bad option, and `NoTestServerError` when no server is configured.
 *
 * @example
 * const database = await createTestDatabase({ prefix: 'orders' });
 * afterAll(() => database.drop());
 */
export async function createTestDatabase(options: CreateTestDatabaseOptions = {}): Promise<TestDatabase> {
  const { prefix, name: chosenName, template, serverUrl = testServerUrl() } = parseOptions(options);
  const random = randomBytes(RANDOM_BYTES).toString('hex');
  const name = chosenName ?? `${NAME_START}${prefix === undefined ? '' : `${prefix}_`}${random}`;
  const from = template === undefined ? '' : ` template ${quoteIdentifier(template)}`;
  await withAdminConnection(
    (admin) => admin.query(`create database ${quoteIdentifier(name)}${from}`),
    serverUrl,
  );
  let dropping: Promise<void> | undefined;
  return {
    name,
    url: databaseUrl(serverUrl, name),
    drop() {
      dropping ??= dropDatabase(name, serverUrl);
      return dropping;
    },
  };
}
