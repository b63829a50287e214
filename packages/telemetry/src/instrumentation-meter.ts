import type { Meter, MeterProvider } from '@opentelemetry/api';
import { type OpenTelemetryApi, openTelemetryApi } from './opentelemetry-api.js';

/** Creates a set of instruments on a meter, and takes back what it registered there. */
export interface InstrumentSet<I> {
  create(meter: Meter): I;
  /** Removes observable callbacks registered by `create`, when the provider changes or on close. */
  dispose?(instruments: I): void;
}

/**
 * Instruments of one scope (e.g. `@strata/pool`) on the registered MeterProvider, created
 * when one is first seen and again if it is replaced. `current()` is cheap enough for every
 * checkout: without a MeterProvider it is one global lookup and returns undefined.
 */
export class InstrumentationMeter<I> {
  readonly #api: OpenTelemetryApi | undefined;
  readonly #name: string;
  readonly #set: InstrumentSet<I>;
  #provider: MeterProvider | undefined;
  #instruments: I | undefined;
  #closed = false;

  constructor(name: string, set: InstrumentSet<I>, api: OpenTelemetryApi | undefined = openTelemetryApi()) {
    this.#api = api;
    this.#name = name;
    this.#set = set;
  }

  /** The instruments on the current global MeterProvider; undefined when none is registered. */
  current(): I | undefined {
    if (this.#api === undefined || this.#closed) return undefined;
    const provider = this.#api.metrics.getMeterProvider();
    if (provider !== this.#provider) this.#bind(provider, this.#api);
    return this.#instruments;
  }

  /** Disposes of the instruments; `current()` returns undefined from now on. */
  close(): void {
    this.#closed = true;
    this.#release();
  }

  #bind(provider: MeterProvider, api: OpenTelemetryApi): void {
    this.#release();
    this.#provider = provider;
    const meter = provider.getMeter(this.#name);
    this.#instruments = meter === api.createNoopMeter() ? undefined : this.#set.create(meter);
  }

  #release(): void {
    if (this.#instruments !== undefined) this.#set.dispose?.(this.#instruments);
    this.#instruments = undefined;
  }
}
