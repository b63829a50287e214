import { redactConnectionString } from '@strata/errors';
import { probeDockerEngine } from './docker-engine-probe.js';
import { startDockerPostgres } from './docker-provider.js';
import { EmbeddedPostgresError } from './embedded-postgres-error.js';
import { startEmbeddedPostgres } from './embedded-provider.js';
import type { LocalPostgres } from './local-postgres.js';
import { NoPostgresAvailableError, type ProviderAttempt } from './no-postgres-available-error.js';
import { parseStartPostgresOptions, type StartPostgresOptions } from './start-postgres-options.js';

function describeFailure(cause: unknown): string {
  if (cause instanceof EmbeddedPostgresError) {
    const reason = cause.cause instanceof Error ? `${cause.cause.message}. ` : '';
    return `${reason}${cause.message}`;
  }
  return cause instanceof Error ? cause.message : String(cause);
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

/**
 * Finds or starts a real PostgreSQL server. Tries, in order: a URL from the environment
 * (`STRATA_TEST_DATABASE_URL`, then `DATABASE_URL`); PostgreSQL 16 in Docker through
 * Testcontainers when a Docker engine answers; the `embedded-postgres` package. Logs one line
 * naming the provider chosen, and one saying why when an engine answered but Docker failed.
 * When none works, throws `NoPostgresAvailableError` saying what each step tried. With
 * `replicas: n`, the embedded provider also starts n streaming replicas (`server.replicas`),
 * and `server.primary` / `server.replicas[i]` can be stopped, killed, restarted and promoted
 * for fault tests.
 *
 * @example
 * const pg = await startPostgres();
 * // ... use pg.connectionString
 * await pg.stop();
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<LocalPostgres> {
  const resolved = parseStartPostgresOptions(options);
  const attempts: ProviderAttempt[] = [];
  const announce = (server: LocalPostgres, detail: string) => {
    if (resolved.log) {
      resolved.log(
        `[strata] PostgreSQL from ${server.provider} (${detail}): ${redactConnectionString(server.connectionString)}`,
      );
    }
    return server;
  };

  for (const provider of resolved.providers) {
    if (provider !== 'embedded' && resolved.replicas > 0) {
      attempts.push({
        provider,
        tried: `${resolved.replicas} streaming replica(s)`,
        outcome: 'only the embedded provider starts replicas; this step was passed over',
      });
      continue;
    }
    if (provider === 'url') {
      const name = resolved.urlEnvironmentVariables.find((variable) => process.env[variable]);
      const url = name && process.env[name];
      if (url) {
        return announce(
          { connectionString: url, provider: 'url', replicas: [], stop: async () => {} },
          `from ${name}`,
        );
      }
      attempts.push({
        provider,
        tried: resolved.urlEnvironmentVariables.join(', '),
        outcome: 'none is set',
      });
    } else if (provider === 'docker') {
      const probe = await probeDockerEngine(resolved.dockerProbeTimeoutMs);
      if (!probe.available) {
        attempts.push({
          provider,
          tried: `a Docker engine at ${probe.tried}`,
          outcome: 'no engine answered',
        });
        continue;
      }
      try {
        return announce(await startDockerPostgres(resolved), `${resolved.dockerImage} via ${probe.tried}`);
      } catch (cause) {
        const outcome = describeFailure(cause);
        attempts.push({ provider, tried: `Testcontainers with ${resolved.dockerImage}`, outcome });
        // An engine answered, so Docker was expected to work: say why it did not before
        // another provider quietly takes over.
        const next = resolved.providers[resolved.providers.indexOf(provider) + 1];
        if (resolved.log && next) {
          resolved.log(
            `[strata] The Docker engine at ${probe.tried} answered, but PostgreSQL in Docker failed: ${oneLine(outcome)}; trying ${next} instead.`,
          );
        }
      }
    } else {
      try {
        const server = await startEmbeddedPostgres(resolved);
        const replicas = server.replicas.length > 0 ? `, ${server.replicas.length} streaming replica(s)` : '';
        return announce(server, `PostgreSQL 16, data in ${server.dataDir}${replicas}`);
      } catch (cause) {
        attempts.push({ provider, tried: 'the embedded-postgres package', outcome: describeFailure(cause) });
      }
    }
  }
  throw new NoPostgresAvailableError(attempts);
}
