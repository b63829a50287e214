import { InvalidConfigError, identifierProblem } from '@strata/errors';
import type { Knex } from 'knex';
import { z } from 'zod';
import { durationSchema } from './duration.js';
import type { LintCatalog } from './lint/table-catalog.js';
import type { MigrationFile } from './migration-file.js';
import type { MigrationGuard } from './migration-plan.js';
import type { MigratorEvent } from './migrator-event.js';

/**
 * Runs before `up` applies anything, with the pending migrations; throw to stop the run.
 * By default `up` runs the built-in linter (see LINT.md); `lint: false` turns it off.
 */
export type MigrationLintHook = (input: {
  directory: string;
  /** Every migration file, in seq order. */
  files: readonly MigrationFile[];
  /** The migrations `up` is about to apply, in order. */
  pending: readonly MigrationFile[];
  /** `schema.table` of every table in the database before this run. */
  existingTables: readonly string[];
  /** The database's catalog, with the `lintCatalog` option (see `readLintCatalog`). */
  catalog?: LintCatalog | undefined;
}) => void | Promise<void>;

const identifier = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .superRefine((value, context) => {
      const problem = identifierProblem(value);
      if (problem) context.addIssue({ code: 'custom', message: problem });
    });

const isFunction = (value: unknown): boolean => typeof value === 'function';

const knexInstance = z.custom<Knex>(
  (value) =>
    typeof value === 'function' &&
    typeof (value as { client?: { acquireConnection?: unknown } }).client?.acquireConnection === 'function',
  'must be a Knex instance (e.g. pool.knex)',
);

/** The options of `createMigrator`, with their defaults. */
export const migratorOptionsSchema = z
  .object({
    /** The directory holding the migration files. */
    directory: z.string().min(1, 'must be the path of the migrations directory'),
    /** A Knex instance for PostgreSQL to run on (e.g. `pool.knex`). Give this or `connectionString`. */
    knex: knexInstance.optional(),
    /** A PostgreSQL URL; the migrator then owns a small Knex pool and `close()` ends it. */
    connectionString: z.string().min(1, 'must not be empty').optional(),
    /** Schema of the history and deploy tables (created if missing). */
    schema: identifier('public'),
    historyTable: identifier('strata_migrations'),
    deployTable: identifier('strata_deploys'),
    /** lock_timeout for each migration's statements; a migration that waits longer gives way and retries. */
    lockTimeout: durationSchema(5_000),
    /** statement_timeout for each migration's statements. */
    statementTimeout: durationSchema(30 * 60_000),
    /** Retries of a migration (or non-transactional statement) after a lock timeout. */
    lockRetries: z.int().min(0).max(1_000).default(5),
    /** First backoff after a lock timeout; doubles each retry (with jitter) up to lockRetryMaxDelay. */
    lockRetryDelay: durationSchema(500),
    lockRetryMaxDelay: durationSchema(30_000),
    /** How long a migrator waits for another one to finish before failing. */
    lockWaitTimeout: durationSchema(60_000),
    /** Recorded as "applied by" in the history; defaults to `user@host` of this process. */
    appliedBy: z.string().min(1).max(200).optional(),
    onEvent: z.custom<(event: MigratorEvent) => void>(isFunction, 'must be a function').optional(),
    /** Replaces the built-in linter that runs before `up`; `false` turns linting off. */
    lint: z
      .union([z.literal(false), z.custom<MigrationLintHook>(isFunction, 'must be a function or false')])
      .optional(),
    /**
     * A schema_design.md whose migration plan `up` follows: a contract the design places after a
     * `[CODE DEPLOY]` gate not yet passed is blocked (see `contractsBlockedByDesign`).
     */
    designFile: z.string().min(1).optional(),
    guard: z.custom<MigrationGuard>(isFunction, 'must be a function').optional(),
    /**
     * The evidence check before a contract (see README, "Evidence before contract"): `check`
     * refuses a contract while statements recorded since the deploy mark still use what it
     * removes, and falls back to the deploy gate alone when pg_stat_statements is missing;
     * `require` refuses then too; `off` turns the check (and the snapshot at deploy mark) off.
     */
    evidence: z.enum(['check', 'require', 'off']).default('check'),
    /**
     * Let the linter of `up` read the database's catalog: locks on small tables become notes,
     * binary-compatible type changes pass, foreign keys are checked for an index. `true` uses
     * the default thresholds (10 000 rows, 64 MiB).
     */
    lintCatalog: z
      .union([
        z.boolean(),
        z
          .object({
            smallTableRows: z.int().min(0).optional(),
            smallTableBytes: z.int().min(0).optional(),
          })
          .strict(),
      ])
      .default(false),
  })
  .strict()
  .superRefine((options, context) => {
    if ((options.knex === undefined) === (options.connectionString === undefined)) {
      context.addIssue({
        code: 'custom',
        path: ['knex'],
        message: 'give exactly one of knex or connectionString',
      });
    }
  });

/** What `createMigrator` accepts. */
export type MigratorOptions = z.input<typeof migratorOptionsSchema>;

/** The options after validation and defaults; durations are in milliseconds. */
export type MigratorConfig = z.output<typeof migratorOptionsSchema>;

/** Validates migrator options, throwing `InvalidConfigError` that names every bad field. */
export function parseMigratorOptions(options: MigratorOptions): MigratorConfig {
  const result = migratorOptionsSchema.safeParse(options);
  if (result.success) return result.data;
  throw new InvalidConfigError(
    'migrator',
    result.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.'),
      message:
        issue.code === 'unrecognized_keys' ? `unknown option(s): ${issue.keys.join(', ')}` : issue.message,
    })),
  );
}
