import type { BlockedBy, BlockedMigration, Migrator } from '@strata/migrate';

// What `planMigrations` blocks with that a recorded deploy would open.
const GATED: ReadonlySet<BlockedBy> = new Set(['deploy-gate']);

/**
 * Records deploys for the rehearsal, so its contracts run too: `open` records one when the
 * deploy gate holds a migration back, but only once until the next migration runs (`ran`),
 * so a gate a deploy cannot open ends the rehearsal's loop instead of spinning it.
 */
export class DeployGateOpener {
  readonly #migrator: Migrator;
  readonly #release: string;
  #marks = 0;
  #markedSinceRun = false;

  /** Deploys are recorded as `<release>-1`, `<release>-2`, ... */
  constructor(migrator: Migrator, release: string) {
    this.#migrator = migrator;
    this.#release = release;
  }

  /** A migration ran: the gate may be opened again. */
  ran(): void {
    this.#markedSinceRun = false;
  }

  /** Records a deploy when the gate holds one of `blocked` back; true when it did. */
  async open(blocked: readonly BlockedMigration[]): Promise<boolean> {
    if (this.#markedSinceRun || !blocked.some((entry) => GATED.has(entry.blockedBy))) return false;
    this.#marks += 1;
    await this.#migrator.markDeploy(`${this.#release}-${this.#marks}`);
    this.#markedSinceRun = true;
    return true;
  }
}
