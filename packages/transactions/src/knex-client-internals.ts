import type { QueryResult } from '@strata/pool';

/**
 * A raw `pg` client as Knex's PostgreSQL dialect hands it out: plain statements, submittables
 * such as a `pg-copy-streams` COPY, and Knex's marker for a connection it gave up on.
 */
export interface PgConnection {
  query(text: string, values?: readonly unknown[]): Promise<QueryResult<Record<string, unknown>>>;
  query<S extends { submit(connection: never): void }>(submittable: S): S;
  end(): Promise<void>;
  __knex__disposed?: unknown;
}

/**
 * The parts of a Knex client (`knex.client`, PostgreSQL dialect) Strata uses beyond Knex's
 * public API: lending out connections, and the transaction entry point it hooks.
 */
export interface KnexClientInternals {
  config: { client?: unknown; connection?: unknown };
  connectionSettings?: { host?: string; port?: number | string; connectionString?: string } | string;
  transacting?: boolean;
  acquireConnection(): Promise<PgConnection>;
  releaseConnection(connection: PgConnection): Promise<unknown>;
  transaction(container: unknown, config: object | undefined, outerTx: unknown): unknown;
}

/**
 * The client behind a Knex instance, typed as far as Strata reaches into it. The one place the
 * untyped internals are cast: a connection taken with `acquireConnection` must be given back
 * with `releaseConnection`, and inside a transaction it is the transaction's own.
 */
export function knexClientOf(knex: { client: unknown }): KnexClientInternals {
  return knex.client as KnexClientInternals;
}
