import type { Attributes, Span, Tracer } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  databaseAttributes,
  describeError,
  InstrumentationTracer,
  recordFailure,
  runInSpan,
  traceOperation,
} from '@strata/telemetry';
import type { ConnectionSource } from './connection-source.js';
import type { ResolvedTransactionOptions, RetryInfo } from './transaction-options.js';

/** Span names: one per `withTransaction`, one per attempt of it, one per savepoint. */
export const TRANSACTION_SPAN = 'transaction';
export const ATTEMPT_SPAN = 'transaction.attempt';
export const SAVEPOINT_SPAN = 'transaction.savepoint';
export const RETRY_EVENT = 'transaction.retry';

const tracer = new InstrumentationTracer('@strata/transactions');
const attributesBySource = new WeakMap<ConnectionSource, Readonly<Attributes>>();

/**
 * The tracer for transactions on `source`; undefined when no OpenTelemetry SDK is registered
 * or the pool was created with `telemetry: false` (then transactions run exactly as untraced).
 */
export function transactionTracer(source: ConnectionSource): Tracer | undefined {
  const config = (source.target as { config?: { telemetry?: unknown } }).config;
  return config?.telemetry === false ? undefined : tracer.current();
}

function attributesOf(source: ConnectionSource): Readonly<Attributes> {
  let attributes = attributesBySource.get(source);
  if (attributes === undefined) {
    // A pool's config names its database; of a Knex instance the guard's address is known.
    const config = (source.target as { config?: { host?: string; port?: number; database?: string } }).config;
    attributes = databaseAttributes(config ?? source.databaseAddresses[0] ?? {});
    attributesBySource.set(source, attributes);
  }
  return attributes;
}

/**
 * Runs a whole `withTransaction` in its `transaction` span: database attributes, the
 * isolation level and read-only mode asked for, and at the end the number of attempts and
 * whether it committed. `run` gets the spans object that opens each attempt's span.
 */
export function traceTransaction<T>(
  activeTracer: Tracer,
  source: ConnectionSource,
  options: ResolvedTransactionOptions,
  run: (spans: TransactionSpans) => Promise<T>,
): Promise<T> {
  const attributes: Attributes = {
    ...attributesOf(source),
    'strata.transaction.isolation_level': options.isolationLevel ?? 'default',
  };
  if (options.readOnly !== undefined) attributes['strata.transaction.read_only'] = options.readOnly;
  return traceOperation(activeTracer, TRANSACTION_SPAN, { attributes }, async (span) => {
    const spans = new TransactionSpans(activeTracer, span);
    try {
      const value = await run(spans);
      span.setAttributes({
        'strata.transaction.attempts': spans.attempts,
        'strata.transaction.outcome': 'committed',
      });
      return value;
    } catch (error) {
      span.setAttributes({
        'strata.transaction.attempts': spans.attempts,
        'strata.transaction.outcome': 'rolled_back',
      });
      throw error;
    }
  });
}

/** The spans inside one traced transaction: an attempt span each time the callback runs, retry events. */
export class TransactionSpans {
  readonly #tracer: Tracer;
  readonly #transaction: Span;
  attempts = 0;

  constructor(activeTracer: Tracer, transaction: Span) {
    this.#tracer = activeTracer;
    this.#transaction = transaction;
  }

  /**
   * Runs attempt `attempt` (acquire, BEGIN, callback, COMMIT or ROLLBACK, release) in its own
   * span, so its statements are its children. An attempt resolves with its outcome rather
   * than throwing; a rolled-back one is marked failed with the error that ended it.
   */
  async attempt<R extends { outcome: { committed: true } | { committed: false; error: unknown } }>(
    attempt: number,
    run: () => Promise<R>,
  ): Promise<R> {
    this.attempts = attempt;
    const span = this.#tracer.startSpan(ATTEMPT_SPAN, {
      attributes: { 'strata.transaction.attempt': attempt },
    });
    try {
      const result = await runInSpan(span, run);
      if (!result.outcome.committed) recordFailure(span, result.outcome.error);
      return result;
    } catch (error) {
      recordFailure(span, error);
      throw error;
    } finally {
      span.end();
    }
  }

  /** Notes on the transaction span that attempt `info.attempt` failed and why, before the next runs. */
  retry(info: RetryInfo): void {
    this.#transaction.addEvent(RETRY_EVENT, {
      'strata.transaction.attempt': info.attempt,
      [ATTR_ERROR_TYPE]: describeError(info.error).type,
      'strata.transaction.retry_delay_ms': info.delayMs,
    });
  }
}

/** Runs a savepoint (a nested `withTransaction`) in its span when `source` is traced. */
export function traceSavepoint<T>(
  source: ConnectionSource,
  depth: number,
  run: () => Promise<T>,
): Promise<T> {
  const activeTracer = transactionTracer(source);
  if (activeTracer === undefined) return run();
  return traceOperation(
    activeTracer,
    SAVEPOINT_SPAN,
    { attributes: { ...attributesOf(source), 'strata.transaction.depth': depth } },
    run,
  );
}
