// Test support (not part of the package): clients that keep writing while migrations run, the
// way an application does, and record every failed write.
import type pg from 'pg';

export interface ConcurrentWriters {
  /** Writes that succeeded so far. */
  writes(): number;
  /** Every failed write's error. */
  errors: unknown[];
  /** Stops the clients after their current write and waits for them. */
  stop(): Promise<void>;
}

/**
 * Starts one loop per client, each calling `write(client, index)` until `stop()` or until it
 * made `maxWrites` attempts, so a test never runs unbounded.
 */
export function startWriters(
  clients: readonly pg.Client[],
  write: (client: pg.Client, index: number) => Promise<unknown>,
  { maxWrites = 200_000 }: { maxWrites?: number } = {},
): ConcurrentWriters {
  let writes = 0;
  let running = true;
  const errors: unknown[] = [];
  const loops = clients.map(async (client, index) => {
    for (let attempt = 0; running && attempt < maxWrites; attempt++) {
      try {
        await write(client, index);
        writes++;
      } catch (error) {
        errors.push(error);
      }
    }
  });
  return {
    writes: () => writes,
    errors,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}
