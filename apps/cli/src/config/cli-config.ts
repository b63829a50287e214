import { z } from 'zod';

const positiveInt = (max: number) => z.coerce.number().int('must be a whole number').min(1).max(max);
const duration = z.union([z.number().int().min(0), z.string().min(1)]);

const postgresUrl = z.string().refine((value) => {
  try {
    return ['postgres:', 'postgresql:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}, 'must be a postgres:// or postgresql:// URL');

/** Settings of `strata migrate rehearse`. */
export const rehearsalConfigSchema = z
  .object({
    /** Synthetic rows per existing table. */
    rows: z.coerce.number().int('must be a whole number').min(0).max(10_000_000).default(1_000),
    /** A lock that blocks writes (SHARE or stronger) held longer than this fails the rehearsal. */
    maxBlockingMs: z.coerce.number().int('must be a whole number').min(0).default(1_000),
    /** How often pg_locks is sampled while a migration runs. */
    sampleIntervalMs: z.coerce.number().int('must be a whole number').min(1).max(1_000).default(10),
  })
  .strict();

/**
 * The CLI's configuration: what `strata.config.{json,js,mjs,ts}`, the environment and the
 * flags may set, with the defaults in this one place. Unknown keys are errors, so a typo in
 * a config file is reported instead of ignored.
 */
export const cliConfigSchema = z
  .object({
    /** The database every database command uses (flag `--database-url`, env `DATABASE_URL`). */
    databaseUrl: postgresUrl.optional(),
    /**
     * A direct URL for the migrator, bypassing PgBouncer: its session advisory lock needs a
     * server session of its own (flag `--migration-url`, env `STRATA_MIGRATION_DATABASE_URL`).
     * `databaseUrl` when unset.
     */
    migrationUrl: postgresUrl.optional(),
    /** The migrations folder (flag `--dir`, env `STRATA_MIGRATIONS_DIR`). */
    migrationsDir: z.string().min(1).default('migrations'),
    /** The seeds folder of `db seed` (flag `--dir`, env `STRATA_SEEDS_DIR`). */
    seedsDir: z.string().min(1).default('seeds'),
    /** A schema_design.md: `check-design` reads it and `up` follows its deploy gates (flag `--design`, env `STRATA_DESIGN_FILE`). */
    designFile: z.string().min(1).optional(),
    /** Schema and names of the migrator's history and deploy tables. */
    schema: z.string().min(1).optional(),
    historyTable: z.string().min(1).optional(),
    deployTable: z.string().min(1).optional(),
    /** The migrator's timeouts: milliseconds or durations such as `5s`. */
    lockTimeout: duration.optional(),
    statementTimeout: duration.optional(),
    lockWaitTimeout: duration.optional(),
    /** The application pool's `max`, which `doctor` compares with max_connections (flag `--pool-max`, env `STRATA_POOL_MAX`). */
    poolMax: positiveInt(100_000).default(25),
    /** The application pool's `pgbouncer` setting, which `doctor` checks against what it finds (env `STRATA_POOL_PGBOUNCER`). */
    pgbouncer: z
      .preprocess(
        (value) =>
          typeof value === 'string' && /^(false|0|off|no|none)$/i.test(value.trim()) ? false : value,
        z.union([z.enum(['auto', 'transaction', 'session']), z.literal(false)]),
      )
      .default('auto'),
    /** The application pool's `preparedStatements` (env `STRATA_POOL_PREPARED_STATEMENTS`); unset: the pool decides. */
    preparedStatements: z.union([z.boolean(), z.stringbool({ error: 'must be true or false' })]).optional(),
    rehearsal: rehearsalConfigSchema.prefault({}),
  })
  .strict();

/** What a config file (or the environment, or flags) may give. */
export type CliConfigInput = z.input<typeof cliConfigSchema>;

/** The resolved configuration; paths are absolute. */
export type CliConfig = z.output<typeof cliConfigSchema>;
