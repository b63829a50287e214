import type { FlagsOf } from './cli-option.js';
import { designGatesOption, migrateOptions } from './shared-options.js';

/** The options of `strata migrate status`. */
export const migrateStatusOptions = [designGatesOption, ...migrateOptions] as const;

export type MigrateStatusFlags = FlagsOf<typeof migrateStatusOptions>;
