// `@strata/telemetry/testing`: an in-memory OpenTelemetry SDK for tests that assert on spans
// and metrics. It needs @opentelemetry/api, sdk-trace-base, sdk-metrics and
// context-async-hooks (optional peer dependencies, installed by whoever imports this).
import { type Attributes, context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/** One data point of a collected metric: a sum or gauge value, or a histogram's count and sum. */
export interface CapturedPoint {
  readonly attributes: Attributes;
  readonly value: number;
  /** Histograms only: how many values were recorded (`value` is then their sum). */
  readonly count?: number | undefined;
}

/** What `captureTelemetry` registered, and how to read what it caught. */
export interface TelemetryCapture {
  /** Every span ended so far, in the order they ended. */
  spans(): ReadableSpan[];
  /** Ended spans named `name`. */
  spansNamed(name: string): ReadableSpan[];
  /** Ended spans whose parent is `span`. */
  childrenOf(span: ReadableSpan): ReadableSpan[];
  /** Collects metrics now and returns the points of metric `name` (empty when it was not reported). */
  metric(name: string): Promise<CapturedPoint[]>;
  /** Forgets the spans caught so far. */
  reset(): void;
  /** Unregisters the SDK (tracer and meter providers, context manager) and shuts it down. */
  stop(): Promise<void>;
}

/**
 * Registers an in-memory OpenTelemetry SDK as the global tracer and meter provider, with an
 * AsyncLocalStorage context manager so parent/child links follow async code. Spans are kept
 * as they end; metrics are collected on demand (cumulative). Call `stop()` in `afterAll`.
 */
export function captureTelemetry(): TelemetryCapture {
  const spanExporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // The interval is never reached in a test: `metric()` flushes on demand.
  const reader = new PeriodicExportingMetricReader({
    exporter: metricExporter,
    exportIntervalMillis: 3_600_000,
  });
  const meterProvider = new MeterProvider({ readers: [reader] });

  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);

  const spans = () => spanExporter.getFinishedSpans();
  return {
    spans,
    spansNamed: (name) => spans().filter((span) => span.name === name),
    childrenOf: (parent) =>
      spans().filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId),
    async metric(name) {
      metricExporter.reset();
      await reader.forceFlush();
      const data = metricExporter
        .getMetrics()
        .flatMap((resource) => resource.scopeMetrics.flatMap((scope) => scope.metrics))
        .filter((metric) => metric.descriptor.name === name);
      return data.flatMap(pointsOf);
    },
    reset: () => spanExporter.reset(),
    async stop() {
      trace.disable();
      metrics.disable();
      context.disable();
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
    },
  };
}

function pointsOf(metric: MetricData): CapturedPoint[] {
  if (metric.dataPointType === DataPointType.HISTOGRAM) {
    return metric.dataPoints.map((point) => ({
      attributes: point.attributes,
      value: point.value.sum ?? 0,
      count: point.value.count,
    }));
  }
  if (metric.dataPointType === DataPointType.SUM || metric.dataPointType === DataPointType.GAUGE) {
    return metric.dataPoints.map((point) => ({ attributes: point.attributes, value: point.value }));
  }
  return [];
}
