import type { FlagsOf } from './cli-option.js';
import { postDeployOptions } from './shared-options.js';

/** The options of `strata migrate up`. */
export const migrateUpOptions = postDeployOptions(
  'also run contract migrations whose deploy gate is open (after `deploy mark`)',
);

export type MigrateUpFlags = FlagsOf<typeof migrateUpOptions>;
