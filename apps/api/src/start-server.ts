import { redactConnectionString, SessionFeatureUnsupportedError } from '@strata/errors';
import { createMigrator, type Migrator, type MigratorEvent } from '@strata/migrate';
import { createPool, type Environment, type Pool, type PoolConfigInput } from '@strata/pool';
import type { FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import { type AppConfig, type AppConfigInput, loadAppConfig, MIGRATIONS_DIRECTORY } from './app-config.js';
import { createApp } from './create-app.js';
import { type AppLogger, createLogger } from './create-logger.js';
import { type Database, startDatabase } from './start-database.js';

/** Options of `startServer`; all optional. */
export interface StartServerOptions {
  /** Overrides of the configuration read from `environment` (HOST, PORT, DATABASE_URL, ...). */
  config?: Partial<AppConfigInput>;
  /** Where configuration and `STRATA_POOL_*` are read from; `process.env` by default. */
  environment?: Environment;
  /** Pool options that win over the environment (e.g. `{ max: 2, acquireTimeout: 200 }`). */
  pool?: Omit<PoolConfigInput, 'connectionString'>;
  /** Where log lines go; stdout by default. */
  logDestination?: DestinationStream;
}

/** A running API. */
export interface RunningServer {
  /** `http://host:port`, with the port actually bound (PORT=0 picks one). */
  readonly url: string;
  readonly config: AppConfig;
  readonly app: FastifyInstance;
  readonly pool: Pool;
  readonly migrator: Migrator;
  readonly database: Database;
  readonly logger: AppLogger;
  /**
   * Shuts down in order: stop accepting connections and let in-flight requests finish (up to
   * `shutdownTimeoutMs`, then remaining sockets are cut), close the pool, stop the embedded
   * PostgreSQL. Safe to call more than once.
   */
  close(): Promise<void>;
}

/**
 * Starts the whole API: the database (embedded PostgreSQL unless DATABASE_URL is set), the
 * pool, pre-deploy migrations (expand, backfill, validate; the linter runs first), then the
 * HTTP server. Logs the URL. Whatever started is stopped again if a later step fails.
 */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const environment = options.environment ?? process.env;
  const config = loadAppConfig(environment, options.config);
  const secrets = new Set<string>();
  if (config.databaseUrl !== undefined) addPasswordOf(config.databaseUrl, secrets);
  // Read replicas come from DATABASE_REPLICA_URLS (read by the pool) or the pool options.
  for (const url of [
    ...(environment.DATABASE_REPLICA_URLS ?? '').split(','),
    ...(options.pool?.replicas ?? []),
  ]) {
    addPasswordOf(url.trim(), secrets);
  }
  if (config.migrationUrl !== undefined) addPasswordOf(config.migrationUrl, secrets);
  const pretty =
    config.logFormat === 'pretty' || (config.logFormat === 'auto' && process.stdout.isTTY === true);
  const logger = createLogger({
    level: config.logLevel,
    destination: options.logDestination,
    secrets,
    pretty,
  });
  const cleanups: Array<() => Promise<void>> = [];
  const cleanUp = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const database = await startDatabase(config, logger);
    cleanups.push(() => database.stop());
    addPasswordOf(database.connectionString, secrets);
    logger.info(
      { provider: database.provider, database: redactConnectionString(database.connectionString) },
      'database ready',
    );

    // The environment still supplies STRATA_POOL_*; the connection is the one just chosen.
    const pool = createPool(
      { ...options.pool, connectionString: database.connectionString },
      { environment: { ...environment, DATABASE_URL: undefined } },
    );
    cleanups.push(() => pool.close({ timeoutMs: config.shutdownTimeoutMs }));
    pool.on('leak', (leak) => logger.warn({ leak }, 'a database connection is held for long'));
    pool.on('connection-error', ({ error }) =>
      logger.warn({ err: error }, 'opening a database connection failed'),
    );
    pool.on('pgbouncer', ({ mode, message }) => {
      if (mode !== false) logger.info({ pgbouncer: mode }, message);
    });
    pool.on('prepared-statement-conflict', (conflict) =>
      logger.warn({ conflict }, 'a prepared statement met another client’s behind PgBouncer; ran it unnamed'),
    );
    await pool.ready();
    // The embedded server preloads pg_stat_statements; with the extension in the database, the
    // evidence check of `strata migrate up --post-deploy` sees the statements the API runs.
    if (database.provider === 'embedded')
      await pool.knex.raw('create extension if not exists pg_stat_statements');

    // Behind PgBouncer in transaction mode the migrator's session lock needs a direct
    // connection: a small pool of its own on STRATA_MIGRATION_DATABASE_URL.
    const migrationPool =
      config.migrationUrl === undefined
        ? undefined
        : createPool(
            { connectionString: config.migrationUrl, max: 2, min: 0, applicationName: 'strata-migrator' },
            { environment: {} },
          );
    if (migrationPool !== undefined) {
      cleanups.push(() => migrationPool.close({ timeoutMs: config.shutdownTimeoutMs }));
      logger.info(
        { database: redactConnectionString(config.migrationUrl as string) },
        'the migrator uses its own direct connection',
      );
    }
    const migrator = createMigrator({
      directory: MIGRATIONS_DIRECTORY,
      knex: (migrationPool ?? pool).knex,
      onEvent: (event) => logMigratorEvent(logger, event),
    });
    if (config.migrate) {
      // The migrator holds a session advisory lock on a raw connection it takes from Knex, past
      // the pool's own checks: through transaction pooling that lock would land on a server
      // connection other clients get. Refuse rather than migrate unlocked.
      if (migrationPool === undefined && pool.pgbouncer === 'transaction') {
        throw new SessionFeatureUnsupportedError('session advisory lock');
      }
      const { applied, blocked } = await migrator.up();
      logger.info(
        {
          applied: applied.map((migration) => migration.name),
          waitingForDeploy: blocked.map((migration) => migration.name),
        },
        applied.length > 0 ? `applied ${applied.length} migration(s)` : 'migrations up to date',
      );
    }

    const app = await createApp({ pool, migrator, logger, cursorSecret: config.cursorSecret });
    cleanups.push(() => app.close());
    await app.listen({
      host: config.host,
      port: config.port,
      listenTextResolver: (address) => `HTTP server bound to ${address}`,
    });
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    const url = `http://${host}:${port}`;
    logger.info({ url, docs: `${url}/docs` }, `Strata API listening on ${url} (docs: ${url}/docs)`);

    let closing: Promise<void> | undefined;
    return {
      url,
      config,
      app,
      pool,
      migrator,
      database,
      logger,
      close() {
        closing ??= (async () => {
          cleanups.length = 0;
          logger.info('shutting down: draining HTTP requests');
          await closeHttp(app, config.shutdownTimeoutMs);
          logger.info('closing the database pool');
          await pool.close({ timeoutMs: config.shutdownTimeoutMs });
          await migrationPool?.close({ timeoutMs: config.shutdownTimeoutMs });
          if (database.provider === 'embedded') logger.info('stopping the embedded PostgreSQL');
          await database.stop();
          logger.info('stopped');
        })();
        return closing;
      },
    };
  } catch (error) {
    logger.fatal({ err: error }, 'the API could not start');
    await cleanUp();
    throw error;
  }
}

/**
 * Adds the password of a connection string (as written and decoded) to the log secrets. Read
 * from the URL's user info by hand: a libpq URL with several hosts is not a WHATWG URL.
 */
function addPasswordOf(connectionString: string, secrets: Set<string>): void {
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(connectionString)?.[1] ?? '';
  const userInfo = authority.slice(0, Math.max(0, authority.lastIndexOf('@')));
  const colon = userInfo.indexOf(':');
  const password = colon === -1 ? '' : userInfo.slice(colon + 1);
  if (!password) return;
  secrets.add(password);
  try {
    secrets.add(decodeURIComponent(password));
  } catch {
    // Not validly %-encoded: the pool's configuration check reports it.
  }
}

/** Stops the HTTP server; sockets still busy after `timeoutMs` are cut. */
async function closeHttp(app: FastifyInstance, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const closed = app.close();
  const outcome = await Promise.race([closed.then(() => 'closed' as const), timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    app.log.warn(
      { timeoutMs },
      'requests still running after the shutdown timeout; closing their connections',
    );
    app.server.closeAllConnections();
    await closed;
  }
}

function logMigratorEvent(logger: AppLogger, event: MigratorEvent): void {
  switch (event.type) {
    case 'lint-warning':
    case 'lock-timeout-retry':
    case 'invalid-index-dropped':
      logger.warn({ migration: event }, `migrator: ${event.type}`);
      return;
    case 'lock-wait':
    case 'migration-done':
    case 'rollback-done':
      logger.info({ migration: event }, `migrator: ${event.type}`);
      return;
    default:
      logger.debug({ migration: event }, `migrator: ${event.type}`);
  }
}
