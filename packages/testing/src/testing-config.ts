import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidConfigError } from '@strata/errors';
import { z } from 'zod';
import { DATABASE_NAME_PATTERN } from './database-name.js';

const fn = <T>() => z.custom<T>((value) => typeof value === 'function', 'must be a function');

/** The harness's configuration; every default lives here. */
export const testingConfigSchema = z.strictObject({
  /** The migrations directory, applied once to the template with @strata/migrate. */
  migrations: z.string().min(1).optional(),
  /**
   * Also apply contract migrations (marking a deploy first). Default false: tests run against
   * the schema the code meets at deploy time, before contracts — code must work with it.
   */
  postDeploy: z.boolean().default(false),
  /** Instead of `migrations`: bring the template up to date yourself. */
  migrate: fn<(connectionString: string) => Promise<void>>().optional(),
  /** Runs after migrating, into the template: rows every test starts with. */
  seed: fn<(connectionString: string) => Promise<void>>().optional(),
  /**
   * A PostgreSQL server the harness may create (and drop) its own databases on, e.g.
   * `process.env.DATABASE_URL` to opt in to that one. Default: `STRATA_TEST_DATABASE_URL`,
   * else a server the harness starts (Docker or embedded). `DATABASE_URL` is never used
   * unless given here.
   */
  serverUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  /** The template database's name; it starts with `strata_`, as every database the harness creates. */
  templateDatabase: z
    .string()
    .regex(DATABASE_NAME_PATTERN, 'must be a lower-case identifier')
    .startsWith('strata_', 'must start with strata_ (the harness only creates and drops databases named so)')
    .default('strata_template'),
  /** Extra PostgreSQL settings for the server the harness starts (ignored for a URL from the environment). */
  serverSettings: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  /** Options of each worker's pool (see @strata/pool), e.g. `{ max: 5 }`. Must be JSON-serialisable. */
  pool: z.record(z.string(), z.unknown()).default({ min: 0, max: 5 }),
});

export type TestingConfig = z.input<typeof testingConfigSchema>;
export type ResolvedTestingConfig = z.output<typeof testingConfigSchema>;

/** Typed identity for `strata.test.config.mjs` and `createGlobalSetup`. */
export function defineTestingConfig(config: TestingConfig): TestingConfig {
  return config;
}

/** Validates the configuration, naming every bad field. */
export function resolveTestingConfig(
  config: TestingConfig = {},
  root = process.cwd(),
): ResolvedTestingConfig {
  const result = testingConfigSchema.safeParse(config);
  if (!result.success) {
    throw new InvalidConfigError(
      '@strata/testing',
      result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    );
  }
  const resolved = result.data;
  if (resolved.migrations) resolved.migrations = path.resolve(root, resolved.migrations);
  else if (!resolved.migrate && existsSync(path.join(root, 'migrations')))
    resolved.migrations = path.join(root, 'migrations');
  return resolved;
}

const CONFIG_FILES = ['strata.test.config.mjs', 'strata.test.config.js', 'strata.test.config.json'];

/** Reads `strata.test.config.{mjs,js,json}` from `root`, or `{}` when there is none. */
export async function loadTestingConfigFile(root: string): Promise<TestingConfig> {
  for (const name of CONFIG_FILES) {
    const file = path.join(root, name);
    if (!existsSync(file)) continue;
    if (name.endsWith('.json')) {
      const { readFile } = await import('node:fs/promises');
      return JSON.parse(await readFile(file, 'utf8')) as TestingConfig;
    }
    const module = (await import(pathToFileURL(file).href)) as { default?: TestingConfig };
    return module.default ?? {};
  }
  return {};
}
