import { ambientConnectionOf } from './ambient-connection.js';
import { ConnectionPool } from './connection-pool.js';
import type { QueryResult } from './pool.js';
import type { PooledConnection } from './pooled-connection.js';
import { StatementTracing } from './statement-tracing.js';

/**
 * The pool `createPool` makes when `@opentelemetry/api` is installed and `telemetry` is on:
 * every statement of `query` and of held connections (checked-out clients, transactions, the
 * ambient connection) gets a span while an SDK is registered; its Knex client traces Knex and
 * Objection statements. Without an SDK each call adds one `tracer()` check to the plain pool's
 * path and no promise; without the API, or with `telemetry: false`, the plain pool is used.
 */
export class TracedConnectionPool extends ConnectionPool {
  override readonly tracing: StatementTracing;

  constructor(...args: ConstructorParameters<typeof ConnectionPool>) {
    super(...args);
    const [settings] = args;
    this.tracing = new StatementTracing(settings);
  }

  override query<Row = Record<string, unknown>>(
    text: string,
    values?: readonly unknown[],
  ): Promise<QueryResult<Row>> {
    return this.#traced(text, () => super.query<Row>(text, values));
  }

  // Reads routed to the primary and the pool's own statements (WAL positions, role checks).
  override internalQuery<Row = Record<string, unknown>>(
    text: string,
    values?: readonly unknown[],
  ): Promise<QueryResult<Row>> {
    return this.#traced(text, () => super.internalQuery<Row>(text, values));
  }

  /** `run` in a span, while an SDK is registered; on an ambient connection runOn traces it instead. */
  #traced<R>(text: string, run: () => Promise<R>): Promise<R> {
    const tracer = this.tracing.tracer();
    if (tracer === undefined || ambientConnectionOf(this) !== undefined) return run();
    return this.tracing.trace(tracer, text, run);
  }

  override runOn<Row>(
    connection: PooledConnection,
    text: string,
    values: readonly unknown[] | undefined,
  ): Promise<QueryResult<Row>> {
    const tracer = this.tracing.tracer();
    if (tracer === undefined) return super.runOn<Row>(connection, text, values);
    return this.tracing.trace(tracer, text, () => super.runOn<Row>(connection, text, values));
  }
}
