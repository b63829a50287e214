import type { FlagsOf } from './cli-option.js';
import { postDeployOptions } from './shared-options.js';

/** The options of `strata migrate plan`. */
export const migratePlanOptions = postDeployOptions(
  'plan `up --post-deploy`: include contracts whose deploy gate is open',
);

export type MigratePlanFlags = FlagsOf<typeof migratePlanOptions>;
