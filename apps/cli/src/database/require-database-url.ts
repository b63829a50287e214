import { redactConnectionString } from '@strata/errors';
import { UsageError } from '../cli-errors.js';
import type { CliConfig } from '../config/cli-config.js';

/** The database URL, or a usage error saying the three ways to give one. */
export function requireDatabaseUrl(config: CliConfig): string {
  if (config.databaseUrl === undefined) {
    throw new UsageError(
      'No database given: pass --database-url, set DATABASE_URL, or set databaseUrl in strata.config.json.',
    );
  }
  return config.databaseUrl;
}

/**
 * The URL the migrator connects to: `migrationUrl` (a direct one, bypassing PgBouncer, for the
 * migrator's session advisory lock) when set, else the database URL.
 */
export function requireMigrationUrl(config: CliConfig): string {
  return config.migrationUrl ?? requireDatabaseUrl(config);
}

/** `postgres://user:***@host/db`, for headings and JSON. */
export const shownUrl = (url: string): string => redactConnectionString(url);
