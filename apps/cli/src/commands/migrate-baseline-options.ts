import { type FlagsOf, option } from './cli-option.js';
import { offlineMigrateOptions } from './shared-options.js';

/** The options of `strata migrate baseline`. */
export const migrateBaselineOptions = [
  option('--through <seq|name>', 'adopt the migrations up to this one (default: all)'),
  ...offlineMigrateOptions,
] as const;

export type MigrateBaselineFlags = FlagsOf<typeof migrateBaselineOptions>;
