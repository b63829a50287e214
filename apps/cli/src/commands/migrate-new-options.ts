import { type FlagsOf, option } from './cli-option.js';
import { offlineMigrateOptions } from './shared-options.js';

/** The options of `strata migrate new`. */
export const migrateNewOptions = [
  option('--scope <scope>', 'ticket id or feature name, e.g. PROJ-123 or user_auth', { mandatory: true }),
  option('--phase <phase>', 'expand | backfill | validate | contract', {
    choices: ['expand', 'backfill', 'validate', 'contract'],
    mandatory: true,
  }),
  option('--ext <ext>', 'file type', { choices: ['sql', 'ts', 'js'], default: 'sql' }),
  ...offlineMigrateOptions,
] as const;

export type MigrateNewFlags = FlagsOf<typeof migrateNewOptions>;
