import { type FlagsOf, option } from './cli-option.js';
import { offlineMigrateOptions } from './shared-options.js';

/** The options of `strata migrate check-design`. */
export const migrateCheckDesignOptions = [
  option('--design <file>', 'the design (default: ./schema_design.md, then <dir>/schema_design.md)', {
    setting: 'designFile',
  }),
  ...offlineMigrateOptions,
] as const;

export type MigrateCheckDesignFlags = FlagsOf<typeof migrateCheckDesignOptions>;
