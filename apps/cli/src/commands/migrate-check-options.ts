import { type FlagsOf, option } from './cli-option.js';
import { offlineMigrateOptions } from './shared-options.js';

const baseOption = option('--base <ref>', 'the git ref the branch merges into, e.g. origin/main', {
  mandatory: true,
});

/** The options of `strata migrate check --base <ref>`. */
export const migrateCheckOptions = [baseOption, ...offlineMigrateOptions] as const;

export type MigrateCheckFlags = FlagsOf<typeof migrateCheckOptions>;

/** The options of `strata migrate renumber --base <ref>`. */
export const migrateRenumberOptions = [
  baseOption,
  option('--dry-run', 'show the renames without making them'),
  option('--design <file>', 'a schema_design.md to update too (tracked ones are found by git)', {
    setting: 'designFile',
  }),
  ...offlineMigrateOptions,
] as const;

export type MigrateRenumberFlags = FlagsOf<typeof migrateRenumberOptions>;
