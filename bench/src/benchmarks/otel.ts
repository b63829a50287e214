import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { createPool, type Pool } from '@strata/pool';
import type { Benchmark, Measurement } from '../benchmark.js';
import { runClosedLoop } from '../closed-loop.js';
import { accountsDatabase, idFor, POINT_SELECT } from './pool.js';

const CONCURRENCY = 16;

interface OtelState {
  /** Telemetry on (the default). */
  traced: Pool;
  /** `telemetry: false`: the plain pool, as without @opentelemetry/api. */
  untraced: Pool;
  /** The SDK of the `.sdk` benchmark; undefined: none registered. */
  sdk?: { spans: InMemorySpanExporter; shutdown(): Promise<void> };
}

function pointSelects(pool: Pool): Promise<Measurement> {
  return runClosedLoop({
    concurrency: CONCURRENCY,
    durationMs: 2_000,
    warmupMs: 300,
    operation: (index) => pool.query(POINT_SELECT, [idFor(index)]),
  });
}

/** What an application registers: batched spans to an exporter, metrics read periodically. */
function registerSdk(): NonNullable<OtelState['sdk']> {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(spans)] });
  const reader = new PeriodicExportingMetricReader({
    exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
    exportIntervalMillis: 1_000,
  });
  const meterProvider = new MeterProvider({ readers: [reader] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  return {
    spans,
    async shutdown() {
      trace.disable();
      metrics.disable();
      context.disable();
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
    },
  };
}

function otelBenchmark(id: string, withSdk: boolean): Benchmark<OtelState> {
  return {
    id,
    subject: withSdk
      ? `Strata pool point select, telemetry on, SDK with in-memory exporter (c${CONCURRENCY})`
      : `Strata pool point select, telemetry on, no SDK registered (c${CONCURRENCY})`,
    baseline: `Strata pool point select, telemetry: false (c${CONCURRENCY})`,
    unit: 'ops/s',
    higherIsBetter: true,
    rounds: 7,
    async setup(benchmarkContext) {
      const url = await accountsDatabase(benchmarkContext);
      const options = {
        connectionString: url,
        max: CONCURRENCY,
        min: CONCURRENCY,
        applicationName: 'bench_otel',
      };
      const traced = createPool(options, { environment: {} });
      const untraced = createPool({ ...options, telemetry: false }, { environment: {} });
      await Promise.all([traced.ready(), untraced.ready()]);
      return { traced, untraced, sdk: withSdk ? registerSdk() : undefined };
    },
    runSubject: (state) => {
      state.sdk?.spans.reset(); // keep memory flat across rounds
      return pointSelects(state.traced);
    },
    runBaseline: ({ untraced }) => pointSelects(untraced),
    async teardown({ traced, untraced, sdk }) {
      await sdk?.shutdown();
      await Promise.all([traced.close(), untraced.close()]);
    },
  };
}

export const benchmarks: Benchmark[] = [
  otelBenchmark('otel.point-select.c16', false),
  otelBenchmark('otel.point-select.sdk.c16', true),
] as Benchmark[];
