import type { Tracer, TracerProvider } from '@opentelemetry/api';
import { type OpenTelemetryApi, openTelemetryApi } from './opentelemetry-api.js';

/**
 * The tracer of one instrumentation scope (e.g. `@strata/pool`), or nothing when no
 * OpenTelemetry SDK is registered. `current()` is meant for hot paths: without an SDK it is
 * a few property reads and returns undefined, so callers skip span work entirely (no span
 * object, no attributes, no extra promise). A provider registered later is picked up on the
 * next call.
 */
export class InstrumentationTracer {
  readonly #api: OpenTelemetryApi | undefined;
  readonly #name: string;
  readonly #noop: TracerProvider | undefined;
  #delegate: TracerProvider | undefined;
  #tracer: Tracer | undefined;

  constructor(name: string, api: OpenTelemetryApi | undefined = openTelemetryApi()) {
    this.#api = api;
    this.#name = name;
    // The API's no-op provider is not exported; a fresh proxy without a delegate hands it out.
    this.#noop = api === undefined ? undefined : new api.ProxyTracerProvider().getDelegate();
    this.#delegate = this.#noop;
  }

  /** The scope's tracer on the registered TracerProvider; undefined when there is none. */
  current(): Tracer | undefined {
    if (this.#api === undefined) return undefined;
    const provider = this.#api.trace.getTracerProvider();
    // The global provider is the API's proxy; what it delegates to is what changes.
    const delegate =
      typeof (provider as { getDelegate?: unknown }).getDelegate === 'function'
        ? (provider as InstanceType<OpenTelemetryApi['ProxyTracerProvider']>).getDelegate()
        : provider;
    if (delegate !== this.#delegate) {
      this.#delegate = delegate;
      this.#tracer = delegate === this.#noop ? undefined : delegate.getTracer(this.#name);
    }
    return this.#tracer;
  }
}
