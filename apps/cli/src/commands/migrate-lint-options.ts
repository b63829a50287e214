import { type FlagsOf, option, wholeNumber } from './cli-option.js';
import { offlineMigrateOptions } from './shared-options.js';

/** The options of `strata migrate lint`. */
export const migrateLintOptions = [
  option('--since <seq>', 'report only migrations from this seq on', {
    parse: wholeNumber(0, 1_000_000_000),
  }),
  ...offlineMigrateOptions,
] as const;

export type MigrateLintFlags = FlagsOf<typeof migrateLintOptions>;
