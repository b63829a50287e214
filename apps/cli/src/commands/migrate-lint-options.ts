import { type FlagsOf, option, wholeNumber } from './cli-option.js';
import { migrateOptions } from './shared-options.js';

/** The options of `strata migrate lint`. */
export const migrateLintOptions = [
  option('--since <seq>', 'report only migrations from this seq on', {
    parse: wholeNumber(0, 1_000_000_000),
  }),
  option(
    '--small-table-rows <n>',
    'with --database-url: a table of at most this many rows (default 10000) and --small-table-bytes is small',
    { setting: 'lint.smallTableRows', parse: wholeNumber(0, Number.MAX_SAFE_INTEGER) },
  ),
  option('--small-table-bytes <n>', 'with --database-url: the size limit of a small table (default 64 MiB)', {
    setting: 'lint.smallTableBytes',
    parse: wholeNumber(0, Number.MAX_SAFE_INTEGER),
  }),
  migrateOptions[0],
  option(
    '--database-url <url>',
    "read the database's catalog: sizes, column types, indexes (only this flag connects; DATABASE_URL does not)",
    { setting: 'databaseUrl' },
  ),
  ...migrateOptions.slice(2),
] as const;

export type MigrateLintFlags = FlagsOf<typeof migrateLintOptions>;
