import { InvalidConfigError } from '@strata/errors';
import type { MigrationName } from './migration-name.js';

/**
 * The seq a user names a migration by: a seq number (`3`, `'003'`), or a migration's name or
 * file name among `files`. Anything else throws `InvalidConfigError` naming the option.
 */
export function migrationSeq(
  target: number | string,
  files: readonly Pick<MigrationName, 'seq' | 'name' | 'fileName'>[],
  option: { config: string; path: string },
): number {
  if (typeof target === 'number' && Number.isInteger(target) && target >= 0) return target;
  if (typeof target === 'string') {
    if (/^[0-9]+$/.test(target)) return Number.parseInt(target, 10);
    const file = files.find((candidate) => candidate.name === target || candidate.fileName === target);
    if (file) return file.seq;
  }
  throw new InvalidConfigError(option.config, [
    {
      path: option.path,
      message: `must be a seq number or the name of a migration in the directory (got ${JSON.stringify(target)})`,
    },
  ]);
}
