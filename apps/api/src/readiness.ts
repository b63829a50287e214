import type { Migrator } from '@strata/migrate';
import type { Pool, ReplicaState } from '@strata/pool';

/** The outcome of a readiness check. */
export interface Readiness {
  ready: boolean;
  database: 'ok' | 'unreachable';
  /** Pre-deploy migrations (expand, backfill, validate) not yet applied, by name. */
  pendingMigrations: string[];
  /**
   * Each read replica (DATABASE_REPLICA_URLS) as the pool last saw it. A replica that is down
   * or lagging gets no reads (they go to the primary), so it does not make the API unready.
   */
  replicas: { host: string; port: number; state: ReplicaState; lagMs: number | null }[];
}

/**
 * Ready means: the pool hands out a working connection, and no pre-deploy migration is
 * pending (the code may rely on every expand/backfill/validate step). Contract migrations
 * run after the deploy, so a pending one does not make the API unready.
 */
export async function checkReadiness(pool: Pool, migrator: Pick<Migrator, 'status'>): Promise<Readiness> {
  const replicas = pool
    .topology()
    .replicas.map(({ host, port, state, lagMs }) => ({ host, port, state, lagMs }));
  let migrations: Awaited<ReturnType<Migrator['status']>>['migrations'];
  try {
    await pool.query('SELECT 1');
    ({ migrations } = await migrator.status());
  } catch {
    // A timeout waiting for a connection counts too: a probe must answer, not hang.
    return { ready: false, database: 'unreachable', pendingMigrations: [], replicas };
  }
  const pendingMigrations = migrations
    .filter((migration) => migration.state !== 'applied' && migration.phase !== 'contract')
    .map((migration) => migration.name);
  return { ready: pendingMigrations.length === 0, database: 'ok', pendingMigrations, replicas };
}
