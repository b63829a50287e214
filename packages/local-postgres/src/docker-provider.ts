import type { LocalPostgres } from './local-postgres.js';
import type { ResolvedStartPostgresOptions } from './start-postgres-options.js';

/** Starts `postgres:16-alpine` (or the configured image) with Testcontainers. */
export async function startDockerPostgres(options: ResolvedStartPostgresOptions): Promise<LocalPostgres> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const fast = options.fastUnsafe ?? true;
  const settings: Record<string, string | number | boolean> = {
    max_connections: 200,
    ...(fast ? { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' } : {}),
    ...options.settings,
  };
  const container = await new PostgreSqlContainer(options.dockerImage)
    .withCommand([
      'postgres',
      ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${String(value)}`]),
    ])
    .start();
  let stopped = false;
  return {
    connectionString: container.getConnectionUri(),
    provider: 'docker',
    replicas: [],
    async stop() {
      if (stopped) return;
      stopped = true;
      await container.stop();
    },
  };
}
