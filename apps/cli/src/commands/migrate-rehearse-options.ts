import { type FlagsOf, option, wholeNumber } from './cli-option.js';
import { migrateOptions } from './shared-options.js';

/** The options of `strata migrate rehearse`. */
export const migrateRehearseOptions = [
  option('--rows <n>', 'synthetic rows per table (default 1000)', {
    parse: wholeNumber(0, 10_000_000),
    setting: 'rehearsal.rows',
  }),
  option('--max-blocking-ms <ms>', 'fail when a write-blocking lock is held longer (default 1000)', {
    parse: wholeNumber(0, 86_400_000),
    setting: 'rehearsal.maxBlockingMs',
  }),
  option('--sample-interval-ms <ms>', 'pg_locks sampling interval (default 10)', {
    parse: wholeNumber(1, 1_000),
    setting: 'rehearsal.sampleIntervalMs',
  }),
  option(
    '--clone <mode>',
    'copy the schema by replaying applied migrations, or CREATE DATABASE ... TEMPLATE',
    { choices: ['replay', 'template'], default: 'replay' },
  ),
  option(
    '--baseline <seq|name>',
    'migrations up to this one form the current schema (instead of the history)',
  ),
  option('--keep', 'keep the rehearsal database afterwards'),
  ...migrateOptions,
] as const;

export type MigrateRehearseFlags = FlagsOf<typeof migrateRehearseOptions>;
