import { type FlagsOf, option, wholeNumber } from './cli-option.js';
import { databaseOptions } from './shared-options.js';

const [databaseUrlOption, configOption, jsonOption] = databaseOptions;

/** The options of `strata doctor`. */
export const doctorOptions = [
  databaseUrlOption,
  option('--pool-max <n>', "the application pool's max (default 25, STRATA_POOL_MAX)", {
    parse: wholeNumber(1, 100_000),
    setting: 'poolMax',
  }),
  option('--instances <n>', 'application instances, each with its own pool (default 1)', {
    parse: wholeNumber(1, 10_000),
  }),
  configOption,
  jsonOption,
] as const;

export type DoctorFlags = FlagsOf<typeof doctorOptions>;
