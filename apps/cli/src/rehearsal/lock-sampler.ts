import { setTimeout as sleep } from 'node:timers/promises';
import type { SqlClient } from '../database/connect.js';

/** When a lock mode on a relation was first and last seen held during one window. */
export interface SeenLock {
  relation: number;
  mode: string;
  firstSeenAt: number;
  lastSeenAt: number;
  samples: number;
}

/** The locks seen during one migration. */
export class LockWindow {
  readonly seen = new Map<string, SeenLock>();
  samples = 0;

  record(at: number, locks: readonly { relation: number; mode: string }[]): void {
    this.samples += 1;
    for (const lock of locks) {
      const key = `${lock.relation}:${lock.mode}`;
      const entry = this.seen.get(key);
      if (entry) {
        entry.lastSeenAt = at;
        entry.samples += 1;
      } else {
        this.seen.set(key, {
          relation: lock.relation,
          mode: lock.mode,
          firstSeenAt: at,
          lastSeenAt: at,
          samples: 1,
        });
      }
    }
  }
}

/**
 * Samples pg_locks from its own session every `intervalMs`: the granted table-level locks
 * held by the client sessions of this database whose application_name is one of
 * `watchedApplications` (the migrator's), recorded into the current window. Autovacuum and
 * every other session are left out, so a lock is credited only to the migration that took
 * it. A lock held for less than the interval may go unseen; the report says "observed".
 */
export class LockSampler {
  private window: LockWindow | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly client: SqlClient,
    private readonly watchedApplications: readonly string[],
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.running ??= this.loop();
  }

  /** Starts recording into a fresh window and returns it. */
  begin(): LockWindow {
    this.window = new LockWindow();
    return this.window;
  }

  /** Stops recording; takes one last sample first, so a window is never empty of samples. */
  async end(): Promise<void> {
    await this.sample();
    this.window = undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        if (this.window) await this.sample();
      } catch {
        // A failed sample (the session died) is reported by end(), which samples again.
      }
      await sleep(this.intervalMs);
    }
  }

  private sampling: Promise<void> | undefined;

  private sample(): Promise<void> {
    // One query at a time on the sampler's session; a failed sample does not poison the next.
    this.sampling = (this.sampling ?? Promise.resolve())
      .catch(() => undefined)
      .then(async () => {
        const window = this.window;
        if (!window) return;
        const { rows } = await this.client.query<{ relation: string; mode: string }>(
          `select l.relation::int8 as relation, l.mode
         from pg_locks l join pg_stat_activity a on a.pid = l.pid
         where l.locktype = 'relation' and l.granted
           and l.database = (select oid from pg_database where datname = current_database())
           and a.backend_type = 'client backend' and a.application_name = any($1::text[])
           and l.pid <> pg_backend_pid()`,
          [this.watchedApplications],
        );
        window.record(
          performance.now(),
          rows.map((row) => ({ relation: Number(row.relation), mode: row.mode })),
        );
      });
    return this.sampling;
  }
}
