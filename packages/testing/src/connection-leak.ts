import { StrataError } from '@strata/errors';
import type { Pool } from '@strata/pool';

/** A test finished with pool connections still checked out. */
export class ConnectionLeakError extends StrataError {
  readonly active: number;

  constructor(active: number) {
    super(
      'CONNECTION_LEAK',
      `${active} pool connection(s) were still checked out after the test. Release every client from pool.connect() in a finally block; set the pool's leakDetectionThreshold to see where it was acquired.`,
    );
    this.active = active;
  }
}

/** Throws `ConnectionLeakError` when any of the pool's connections is still checked out. */
export function assertNoConnectionLeak(pool: Pool): void {
  const { active } = pool.stats();
  if (active > 0) throw new ConnectionLeakError(active);
}
