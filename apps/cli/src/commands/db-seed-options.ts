import { type FlagsOf, option } from './cli-option.js';
import { databaseOptions } from './shared-options.js';

/** The options of `strata db seed`. */
export const dbSeedOptions = [
  option('--dir <path>', 'seeds folder (default: ./seeds, STRATA_SEEDS_DIR)', { setting: 'seedsDir' }),
  ...databaseOptions,
] as const;

export type DbSeedFlags = FlagsOf<typeof dbSeedOptions>;
