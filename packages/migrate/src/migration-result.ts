import type { MigrationOverride } from './migration-override.js';
import type { MigrationPhase } from './migration-phase.js';

/** A migration `up` applied. */
export interface AppliedMigration {
  seq: number;
  name: string;
  scope: string;
  phase: MigrationPhase;
  /** False when it ran statement by statement (a statement could not run in a transaction). */
  transactional: boolean;
  durationMs: number;
  /** 1 plus the retries after lock timeouts. */
  attempts: number;
  /** INVALID indexes left by an earlier failed CREATE INDEX CONCURRENTLY, dropped and rebuilt. */
  repairedIndexes: string[];
  /** Refusals of the evidence or order check overridden, with the reasons, to apply it. */
  overrides?: MigrationOverride[] | undefined;
}

/** A migration `down` rolled back. */
export interface RolledBackMigration {
  seq: number;
  name: string;
  scope: string;
  phase: MigrationPhase;
  /** `down` ran its down; `noop` (backfills) only removed it from the history so `up` re-runs it. */
  action: 'down' | 'noop';
  note: string | undefined;
  durationMs: number;
  attempts: number;
}
