import type {
  Attributes,
  BatchObservableCallback,
  Counter,
  Histogram,
  Meter,
  Observable,
} from '@opentelemetry/api';
import {
  ATTR_DB_CLIENT_CONNECTION_POOL_NAME,
  ATTR_DB_CLIENT_CONNECTION_STATE,
  CONNECTION_DURATION_BUCKETS,
  InstrumentationMeter,
  METRIC_DB_CLIENT_CONNECTION_COUNT,
  METRIC_DB_CLIENT_CONNECTION_CREATE_TIME,
  METRIC_DB_CLIENT_CONNECTION_IDLE_MIN,
  METRIC_DB_CLIENT_CONNECTION_MAX,
  METRIC_DB_CLIENT_CONNECTION_PENDING_REQUESTS,
  METRIC_DB_CLIENT_CONNECTION_TIMEOUTS,
  METRIC_DB_CLIENT_CONNECTION_USE_TIME,
  METRIC_DB_CLIENT_CONNECTION_WAIT_TIME,
  openTelemetryApi,
} from '@strata/telemetry';
import type { PoolSettings } from './pool-config.js';

/** The pool's state at a metrics collection. */
export interface PoolGauges {
  /** Open connections (idle + used). */
  total: number;
  idle: number;
  /** Callers waiting for a connection. */
  waiting: number;
}

interface PoolInstruments {
  readonly meter: Meter;
  readonly waitTime: Histogram;
  readonly useTime: Histogram;
  readonly createTime: Histogram;
  readonly timeouts: Counter;
  readonly observe: BatchObservableCallback;
  readonly observables: Observable[];
}

const seconds = (description: string) => ({
  description,
  unit: 's',
  advice: { explicitBucketBoundaries: [...CONNECTION_DURATION_BUCKETS] },
});

/**
 * The pool's `db.client.connection.*` metrics (OpenTelemetry semantic conventions), every
 * one with `db.client.connection.pool.name`: connections by state, max, idle min and pending
 * requests read at collection time; wait, use and create times and timeouts as they happen.
 * Without a registered MeterProvider each record is one global lookup.
 */
export class PoolMetrics {
  readonly #instruments: InstrumentationMeter<PoolInstruments>;
  readonly #attributes: Attributes;

  /** The pool's metrics, or undefined when `telemetry` is off or @opentelemetry/api is not installed. */
  static create(settings: PoolSettings, read: () => PoolGauges): PoolMetrics | undefined {
    return settings.telemetry && openTelemetryApi() !== undefined
      ? new PoolMetrics(settings, read)
      : undefined;
  }

  private constructor(settings: PoolSettings, read: () => PoolGauges) {
    const attributes = { [ATTR_DB_CLIENT_CONNECTION_POOL_NAME]: settings.poolName };
    const idle = { ...attributes, [ATTR_DB_CLIENT_CONNECTION_STATE]: 'idle' };
    const used = { ...attributes, [ATTR_DB_CLIENT_CONNECTION_STATE]: 'used' };
    this.#attributes = attributes;
    this.#instruments = new InstrumentationMeter('@strata/pool', {
      create(meter) {
        const upDown = (name: string, unit: string, description: string) =>
          meter.createObservableUpDownCounter(name, { description, unit });
        const count = upDown(METRIC_DB_CLIENT_CONNECTION_COUNT, '{connection}', 'Open connections by state.');
        const max = upDown(METRIC_DB_CLIENT_CONNECTION_MAX, '{connection}', 'The pool size limit (max).');
        const idleMin = upDown(METRIC_DB_CLIENT_CONNECTION_IDLE_MIN, '{connection}', 'Kept open (min).');
        const pending = upDown(METRIC_DB_CLIENT_CONNECTION_PENDING_REQUESTS, '{request}', 'Callers waiting.');
        const observe: BatchObservableCallback = (result) => {
          const gauges = read();
          result.observe(count, gauges.idle, idle);
          result.observe(count, gauges.total - gauges.idle, used);
          result.observe(max, settings.max, attributes);
          result.observe(idleMin, settings.min, attributes);
          result.observe(pending, gauges.waiting, attributes);
        };
        const observables = [count, max, idleMin, pending];
        meter.addBatchObservableCallback(observe, observables);
        return {
          meter,
          observe,
          observables,
          waitTime: meter.createHistogram(
            METRIC_DB_CLIENT_CONNECTION_WAIT_TIME,
            seconds('Time callers waited for a connection.'),
          ),
          useTime: meter.createHistogram(
            METRIC_DB_CLIENT_CONNECTION_USE_TIME,
            seconds('Time between a connection being handed out and given back.'),
          ),
          createTime: meter.createHistogram(
            METRIC_DB_CLIENT_CONNECTION_CREATE_TIME,
            seconds('Time to open a connection.'),
          ),
          timeouts: meter.createCounter(METRIC_DB_CLIENT_CONNECTION_TIMEOUTS, {
            description: 'Callers that gave up waiting for a connection (acquireTimeout).',
            unit: '{timeout}',
          }),
        };
      },
      dispose(instruments) {
        instruments.meter.removeBatchObservableCallback(instruments.observe, instruments.observables);
      },
    });
    this.#instruments.current(); // a MeterProvider registered already sees the pool from now on
  }

  waited(milliseconds: number): void {
    this.#instruments.current()?.waitTime.record(milliseconds / 1000, this.#attributes);
  }

  used(milliseconds: number): void {
    this.#instruments.current()?.useTime.record(milliseconds / 1000, this.#attributes);
  }

  created(milliseconds: number): void {
    this.#instruments.current()?.createTime.record(milliseconds / 1000, this.#attributes);
  }

  timedOut(): void {
    this.#instruments.current()?.timeouts.add(1, this.#attributes);
  }

  /** Looks for a MeterProvider registered since the last record (an idle pool records nothing). */
  refresh(): void {
    this.#instruments.current();
  }

  /** Stops reporting (the pool closed). */
  close(): void {
    this.#instruments.close();
  }
}
