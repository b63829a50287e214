import { type FlagsOf, option } from './cli-option.js';
import { migrateOptions } from './shared-options.js';

/** The options of `strata migrate down`. */
export const migrateDownOptions = [
  option('--to <seq|name>', 'roll back every applied migration after this one (it is kept)'),
  ...migrateOptions,
] as const;

export type MigrateDownFlags = FlagsOf<typeof migrateDownOptions>;
