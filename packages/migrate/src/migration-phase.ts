/** The four phases of an expand/contract change, in the order they must run for one scope. */
export const MIGRATION_PHASES = ['expand', 'backfill', 'validate', 'contract'] as const;

/** One of `expand`, `backfill`, `validate`, `contract`. */
export type MigrationPhase = (typeof MIGRATION_PHASES)[number];
