import type { LocalPostgres, LocalPostgresServer } from './local-postgres.js';
import { startPostgres } from './start-postgres.js';

/** A primary and its streaming replicas, started for a test. */
export interface TestCluster extends LocalPostgres {
  readonly primary: LocalPostgresServer;
}

/**
 * Starts an embedded primary with `replicas` streaming replicas for one test file, quietly,
 * with `synchronous_commit` on — the throwaway default turns it off, and then a commit a client
 * saw acknowledged may be lost when the primary is killed, or not yet replayable on a replica.
 * Stop it (`stop()`) in `afterAll`.
 */
export async function startTestCluster(replicas = 1): Promise<TestCluster> {
  const cluster = await startPostgres({
    providers: ['embedded'],
    replicas,
    settings: { synchronous_commit: 'on' },
    log: false,
  });
  return cluster as TestCluster;
}
