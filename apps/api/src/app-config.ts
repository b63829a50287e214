import path from 'node:path';
import { type ConfigIssue, InvalidConfigError } from '@strata/errors';
import { z } from 'zod';

/** The package root (`apps/api`), whether this runs from `src/` (tests) or `dist/`. */
export const PACKAGE_ROOT = path.resolve(import.meta.dirname, '..');

/** The migrations the API applies on start, in `{seq}_{scope}_{phase}_{description}.sql` files. */
export const MIGRATIONS_DIRECTORY = path.join(PACKAGE_ROOT, 'migrations');

// `true`/`false` (also 1/0, yes/no, on/off) in the environment; a boolean in code.
const flag = z.stringbool({ error: 'must be true or false' });

/**
 * The API's configuration, read from the environment. Every default lives here; the pool
 * reads its own `STRATA_POOL_*` variables (see @strata/pool).
 */
export const appConfigSchema = z
  .object({
    /** HOST: the address to listen on. Loopback by default: nothing is exposed by accident. */
    host: z.string().min(1).default('127.0.0.1'),
    /** PORT: 0 picks a free port. */
    port: z.coerce
      .number({ message: 'must be a port number' })
      .int('must be a whole number')
      .min(0, 'must be 0 to 65535')
      .max(65_535, 'must be 0 to 65535')
      .default(3000),
    /** DATABASE_URL: the PostgreSQL server to use; without it an embedded PostgreSQL 16 is started. */
    databaseUrl: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
    /**
     * STRATA_MIGRATION_DATABASE_URL: a direct URL to PostgreSQL for the migrator, when DATABASE_URL
     * goes through PgBouncer in transaction mode (the migrator's session advisory lock needs a
     * session of its own). The migrator then gets a small pool of its own on it.
     */
    migrationUrl: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
    /** STRATA_API_DATA_DIR: where the embedded server keeps its data between runs. */
    dataDir: z
      .string()
      .min(1)
      .default(path.join(PACKAGE_ROOT, '.strata', 'postgres')),
    /**
     * STRATA_API_MIGRATE: apply pending pre-deploy migrations (expand, backfill, validate) on
     * start. Turn it off where migrations run as their own deploy step; /health/ready then
     * reports not ready until they have run.
     */
    migrate: flag.default(true),
    /** LOG_LEVEL */
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /**
     * LOG_FORMAT: `pretty` (readable, coloured lines), `json` (one JSON object per line), or
     * `auto`: pretty when standard output is a terminal, JSON otherwise (files, pipes, log
     * collectors).
     */
    logFormat: z.enum(['auto', 'pretty', 'json']).default('auto'),
    /** STRATA_API_SHUTDOWN_TIMEOUT_MS: how long SIGTERM waits for in-flight requests, then for the pool. */
    shutdownTimeoutMs: z.coerce
      .number({ message: 'must be a number of milliseconds' })
      .int('must be a whole number of milliseconds')
      .min(0, 'must be 0 or more')
      .default(10_000),
    /**
     * STRATA_API_CURSOR_SECRET: signs pagination cursors (HMAC), so clients cannot forge them.
     * Without it they are signed with a random key of the process (see @strata/repository):
     * unforgeable, but not accepted after a restart or by another instance. Required when
     * NODE_ENV=production.
     */
    cursorSecret: z.string().min(16, 'must be at least 16 characters').optional(),
    /** NODE_ENV: `production` makes STRATA_API_CURSOR_SECRET required. */
    nodeEnv: z.string().optional(),
  })
  .superRefine((config, context) => {
    if (config.nodeEnv === 'production' && config.cursorSecret === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['cursorSecret'],
        message:
          'is required when NODE_ENV=production: behind a restart or a second instance, cursors signed with a per-process key stop working',
      });
    }
  });

/** The resolved configuration. */
export type AppConfig = z.output<typeof appConfigSchema>;

/** The configuration as a caller may give it (defaults applied to what is missing). */
export type AppConfigInput = Omit<z.input<typeof appConfigSchema>, 'migrate'> & {
  migrate?: boolean | string;
};

const ENVIRONMENT_VARIABLES: Record<keyof AppConfig, string> = {
  host: 'HOST',
  port: 'PORT',
  databaseUrl: 'DATABASE_URL',
  migrationUrl: 'STRATA_MIGRATION_DATABASE_URL',
  dataDir: 'STRATA_API_DATA_DIR',
  migrate: 'STRATA_API_MIGRATE',
  logLevel: 'LOG_LEVEL',
  logFormat: 'LOG_FORMAT',
  shutdownTimeoutMs: 'STRATA_API_SHUTDOWN_TIMEOUT_MS',
  cursorSecret: 'STRATA_API_CURSOR_SECRET',
  nodeEnv: 'NODE_ENV',
};

/**
 * Reads the configuration from environment variables (HOST, PORT, DATABASE_URL, ...), with
 * `overrides` winning over them. Invalid values throw one `InvalidConfigError` that names
 * every bad variable and its rule, never its value (DATABASE_URL holds a password).
 */
export function loadAppConfig(
  environment: Readonly<Record<string, string | undefined>> = process.env,
  overrides: Partial<AppConfigInput> = {},
): AppConfig {
  const input: Record<string, unknown> = {};
  for (const [key, variable] of Object.entries(ENVIRONMENT_VARIABLES)) {
    const value = environment[variable];
    // An empty variable counts as unset, as in most shells' `VAR= command`.
    if (value !== undefined && value !== '') input[key] = value;
  }
  for (const [key, value] of Object.entries(overrides)) {
    if (value !== undefined) input[key] = typeof value === 'boolean' ? String(value) : value;
  }
  const result = appConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const issues: ConfigIssue[] = result.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? '');
    const variable = ENVIRONMENT_VARIABLES[key as keyof AppConfig];
    return { path: variable ? `${variable} (${key})` : key, message: issue.message };
  });
  throw new InvalidConfigError('API', issues);
}
