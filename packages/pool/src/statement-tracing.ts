import type { Attributes, Tracer } from '@opentelemetry/api';
import { databaseAttributes, InstrumentationTracer, traceStatement } from '@strata/telemetry';
import type { PoolSettings } from './pool-config.js';

/**
 * The pool's OpenTelemetry spans: one CLIENT span per statement, on every path (pool.query,
 * checked-out clients, Knex and Objection), following the database semantic conventions.
 * Query paths ask `tracer()` first and take their untraced path when it is undefined (no
 * SDK registered), so without an SDK a statement costs a few property reads more, nothing else.
 */
export class StatementTracing {
  readonly #tracer = new InstrumentationTracer('@strata/pool');
  readonly #attributes: Readonly<Attributes>;

  constructor(settings: PoolSettings) {
    this.#attributes = databaseAttributes(settings);
  }

  /** The tracer while an SDK is registered; undefined otherwise. */
  tracer(): Tracer | undefined {
    return this.#tracer.current();
  }

  /** Runs `send` inside the span of statement `text` (a child of the active span). */
  trace<T>(tracer: Tracer, text: string, send: () => Promise<T>): Promise<T> {
    return traceStatement(tracer, this.#attributes, text, send);
  }
}
