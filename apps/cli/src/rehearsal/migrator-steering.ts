import type { MigrationGuard, MigratorEvent } from '@strata/migrate';

/** Which migrations the rehearsal lets the migrator run. */
type Allowed =
  | { stage: 'baseline'; names: ReadonlySet<string> }
  | { stage: 'pending' }
  | { stage: 'one'; name: string };

/** What the migrator reported of the migration it ran last. */
export interface MigrationTiming {
  startAt?: number;
  doneAt?: number;
  transactional?: boolean;
}

/**
 * Steers the rehearsal's migrator through its `guard` and `onEvent` options: first only the
 * baseline migrations may run (they make up the current schema), then every pending one (to
 * plan the next), then one at a time, each timed by the migrator's own events.
 */
export class MigratorSteering {
  #allowed: Allowed;
  #timing: MigrationTiming = {};

  constructor(baseline: ReadonlySet<string>) {
    this.#allowed = { stage: 'baseline', names: baseline };
  }

  /** The migrator's `guard`. */
  readonly guard: MigrationGuard = (file) => {
    switch (this.#allowed.stage) {
      case 'baseline':
        return this.#allowed.names.has(file.name) ? undefined : 'rehearsal: not part of the current schema';
      case 'pending':
        return undefined;
      case 'one':
        return file.name === this.#allowed.name ? undefined : 'rehearsal: one at a time';
    }
  };

  /** The migrator's `onEvent`. */
  readonly onEvent = (event: MigratorEvent): void => {
    if (event.type === 'migration-start') {
      this.#timing.startAt = performance.now();
      this.#timing.transactional = event.transactional;
    } else if (event.type === 'migration-done') {
      this.#timing.doneAt = performance.now();
    }
  };

  /** Lets every pending migration through. */
  allowPending(): void {
    this.#allowed = { stage: 'pending' };
  }

  /** Lets only migration `name` through, and forgets the timing of the one before. */
  allowOnly(name: string): void {
    this.#allowed = { stage: 'one', name };
    this.#timing = {};
  }

  /** The timing of the migration that ran last under `allowOnly`. */
  get timing(): Readonly<MigrationTiming> {
    return this.#timing;
  }
}
