import type { Attributes, Span, Tracer } from '@opentelemetry/api';
import {
  ATTR_DB_COLLECTION_NAME,
  databaseAttributes,
  InstrumentationTracer,
  openTelemetryApi,
  recordFailure,
  startStatementSpan,
  traceOperation,
  traceStatement,
} from '@strata/telemetry';
import type { SequenceCopyClient } from './copy-with-sequence-default.js';
import type { RepositoryPool } from './model-table.js';

const tracer = new InstrumentationTracer('@strata/repository');

/** The pool's config, when the repository's pool is a Strata pool (it has one). */
type PoolConfig = { host?: string; port?: number; database?: string; telemetry?: boolean };

/**
 * The OpenTelemetry spans of one repository: `repository.{method}` around each public method
 * (its statements are children), and the statements createMany sends on a raw connection for
 * COPY, the COPY itself with the rows it stored. Nothing happens without a registered SDK or
 * with the pool's `telemetry: false`.
 */
export class RepositoryTracing {
  readonly #enabled: boolean;
  readonly #database: Readonly<Attributes>;
  readonly #attributes: Readonly<Attributes>;
  /** Spans this repository started: a method calling another (getById → findById) makes one span. */
  readonly #own = new WeakSet<Span>();

  constructor(pool: RepositoryPool, table: string, entity: string) {
    const config = (pool as { config?: PoolConfig }).config;
    this.#enabled = config?.telemetry !== false;
    this.#database = databaseAttributes(config ?? {});
    this.#attributes = Object.freeze({
      ...this.#database,
      [ATTR_DB_COLLECTION_NAME]: table,
      'strata.repository.entity': entity,
    });
  }

  #tracer(): Tracer | undefined {
    return this.#enabled ? tracer.current() : undefined;
  }

  /** Runs repository method `method` in its span, or just runs it when untraced. */
  run<T>(method: string, work: () => Promise<T>): Promise<T> {
    const active = this.#tracer();
    if (active === undefined) return work();
    const current = openTelemetryApi()?.trace.getActiveSpan();
    if (current !== undefined && this.#own.has(current)) return work();
    return traceOperation(active, `repository.${method}`, { attributes: this.#attributes }, (span) => {
      this.#own.add(span);
      return work();
    });
  }

  /**
   * `connection` with spans for what createMany runs on it directly (BEGIN, nextval, COMMIT,
   * the id preallocation, and each `COPY … FROM STDIN`, whose span carries `strata.copy.rows`).
   * Untraced, the connection itself.
   */
  connection<C extends SequenceCopyClient>(connection: C): C {
    const active = this.#tracer();
    if (active === undefined) return connection;
    const database = this.#database;
    const query = (arg: unknown, values?: readonly unknown[]): unknown => {
      if (typeof arg === 'string') {
        return traceStatement(active, database, arg, () => connection.query(arg, values));
      }
      // A COPY stream (pg-copy-streams): the span ends when PostgreSQL confirmed it, or it failed.
      const copy = connection.query(arg as Parameters<C['query']>[0]) as unknown as CopyStream;
      const span = startStatementSpan(active, database, copy.text);
      let ended = false;
      copy.once('finish', () => {
        if (ended) return;
        ended = true;
        span.setAttribute('strata.copy.rows', copy.rowCount);
        span.end();
      });
      copy.once('error', (error: unknown) => {
        if (ended) return;
        ended = true;
        recordFailure(span, error);
        span.end();
      });
      return copy;
    };
    return { query } as unknown as C;
  }
}

/** The parts of pg-copy-streams' CopyStreamQuery the COPY span reads. */
interface CopyStream {
  readonly text: string;
  readonly rowCount: number;
  once(event: 'finish', listener: () => void): unknown;
  once(event: 'error', listener: (error: unknown) => void): unknown;
}
