import { migrateOptions } from './shared-options.js';

/** The options of `strata migrate evidence <migration>`: those of every migrate command. */
export const migrateEvidenceOptions = migrateOptions;
