import type { ConfigFlags } from '../config/resolve-config.js';

/** The flags every `migrate` and `deploy` command shares (commander's camel-cased names). */
export interface MigrateFlags {
  config?: string;
  dir?: string;
  databaseUrl?: string;
  design?: string;
  json?: boolean;
}

/** Maps the shared flags to config keys, remembering the flag each came from. */
export function migrateConfigFlags(flags: MigrateFlags, extra: Partial<ConfigFlags> = {}): ConfigFlags {
  return {
    config: flags.config,
    values: {
      migrationsDir: flags.dir,
      databaseUrl: flags.databaseUrl,
      designFile: flags.design,
      ...extra.values,
    },
    labels: {
      migrationsDir: '--dir',
      databaseUrl: '--database-url',
      designFile: '--design',
      ...extra.labels,
    },
  };
}
