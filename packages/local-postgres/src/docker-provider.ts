import { StrataError } from '@strata/errors';
import type { LocalPostgres } from './local-postgres.js';
import type { ResolvedStartPostgresOptions } from './start-postgres-options.js';

/** PostgreSQL in Docker did not start: Testcontainers would not load, or the container failed. */
export class DockerPostgresError extends StrataError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('DOCKER_POSTGRES_FAILED', message, options);
  }
}

const messageOf = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause)).trim();

/**
 * Starts `postgres:16-alpine` (or the configured image) with Testcontainers. Throws
 * `DockerPostgresError` saying which step failed, loading Testcontainers (it may not support
 * this Node version) or starting the container.
 */
export async function startDockerPostgres(options: ResolvedStartPostgresOptions): Promise<LocalPostgres> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql').catch((cause: unknown) => {
    throw new DockerPostgresError(
      `@testcontainers/postgresql failed to load on Node ${process.version}: ${messageOf(cause)}`,
      { cause },
    );
  });
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
    .start()
    .catch((cause: unknown) => {
      throw new DockerPostgresError(
        `the ${options.dockerImage} container did not start: ${messageOf(cause)}`,
        { cause },
      );
    });
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
