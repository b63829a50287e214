import { option } from './cli-option.js';

// The options several commands share, so scripts can pass them everywhere.

const configOption = option(
  '--config <file>',
  'config file (default: ./strata.config.{ts,mts,mjs,js,json}, STRATA_CONFIG)',
);
const jsonOption = option('--json', 'print machine-readable JSON on stdout');
const databaseUrlOption = option('--database-url <url>', 'PostgreSQL URL (default: DATABASE_URL)', {
  setting: 'databaseUrl',
});

/** What every `migrate` and `deploy` command that connects takes. */
export const migrateOptions = [
  option('--dir <path>', 'migrations folder (default: ./migrations, STRATA_MIGRATIONS_DIR)', {
    setting: 'migrationsDir',
  }),
  databaseUrlOption,
  option(
    '--migration-url <url>',
    'direct PostgreSQL URL for the migrator, bypassing PgBouncer (default: STRATA_MIGRATION_DATABASE_URL, else the database URL)',
    { setting: 'migrationUrl' },
  ),
  configOption,
  jsonOption,
] as const;

/** What `migrate new`, `lint` and `check-design` take: the same, but they never connect. */
export const offlineMigrateOptions = [
  migrateOptions[0],
  option('--database-url <url>', 'accepted for uniform scripts; not used (no database needed)'),
  configOption,
  jsonOption,
] as const;

/** `--design` where schema_design.md's deploy gates apply (`status`, `plan`, `up`). */
export const designGatesOption = option(
  '--design <file>',
  'schema_design.md whose deploy gates apply (STRATA_DESIGN_FILE)',
  { setting: 'designFile' },
);

/** What `db` commands and `doctor` share. */
export const databaseOptions = [
  databaseUrlOption,
  option('--config <file>', 'config file (default: ./strata.config.*, STRATA_CONFIG)'),
  jsonOption,
] as const;

/** What `plan` and `up` take: `--post-deploy` (described for each), `--design` and the migrate options. */
export const postDeployOptions = (postDeployDescription: string) =>
  [option('--post-deploy', postDeployDescription), designGatesOption, ...migrateOptions] as const;
