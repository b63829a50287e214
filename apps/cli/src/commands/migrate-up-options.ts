import { type FlagsOf, option } from './cli-option.js';
import { postDeployOptions } from './shared-options.js';

/** The options of `strata migrate up`. */
export const migrateUpOptions = [
  option(
    '--override-evidence <reason>',
    'run contracts although statements since the deploy mark still use what they remove; the reason is recorded in the history',
  ),
  option(
    '--allow-out-of-order <reason>',
    'run migrations numbered below the last applied one of their scope; the reason is recorded in the history',
  ),
  ...postDeployOptions('also run contract migrations whose deploy gate is open (after `deploy mark`)'),
] as const;

export type MigrateUpFlags = FlagsOf<typeof migrateUpOptions>;
