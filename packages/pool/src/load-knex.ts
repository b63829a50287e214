import { createRequire } from 'node:module';
import type { Knex } from 'knex';
import { KnexNotInstalledError } from './pool-errors.js';

/** The parts of knex's PostgreSQL dialect the pool's Knex client overrides or calls. */
export interface KnexPgClient {
  transacting?: boolean;
  query(connection: unknown, query: unknown): Promise<unknown>;
  transaction(container: unknown, config: unknown, outerTx: unknown): unknown;
}
export type KnexPgClientClass = new (config: object) => KnexPgClient;

/** What the pool takes from the knex package: its factory and its PostgreSQL dialect. */
export interface KnexModule {
  readonly knex: (config: Knex.Config) => Knex;
  readonly PostgresClient: KnexPgClientClass;
}

const require = createRequire(import.meta.url);
let loaded: KnexModule | undefined;

/**
 * Loads knex on first use. knex is an optional peer dependency: importing @strata/pool must
 * not load it (it is most of the pool's import time) nor require it installed. It is
 * CommonJS and `pool.knex` is a synchronous getter, hence `require` rather than `import()`.
 */
export function loadKnex(): KnexModule {
  if (loaded) return loaded;
  try {
    require.resolve('knex');
  } catch (cause) {
    throw new KnexNotInstalledError({ cause });
  }
  loaded = {
    knex: require('knex') as KnexModule['knex'],
    // knex has no exports map; its dialect classes are reachable by path, and subclassing the
    // PostgreSQL one is knex's own extension point for custom clients.
    PostgresClient: require('knex/lib/dialects/postgres/index.js') as KnexPgClientClass,
  };
  return loaded;
}
