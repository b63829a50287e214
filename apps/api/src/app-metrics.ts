import type { Pool } from '@strata/pool';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The API's Prometheus metrics: one registry per app, so several apps in a process never mix. */
export interface AppMetrics {
  readonly registry: Registry;
  /** Records one finished request under its route template (not its URL: ids would explode the label set). */
  observeRequest(method: string, route: string, statusCode: number, seconds: number): void;
}

/**
 * Creates the registry: process metrics, request durations by method, route and status, and
 * the pool's state read from `pool.stats()` at each scrape (connections by state, waiting
 * callers, acquire latency percentiles, timeouts and errors).
 */
export function createAppMetrics(pool: Pool): AppMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const requestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request durations, by method, route template and status code.',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  new Gauge({
    name: 'strata_pool_connections',
    help: 'Pool connections by state (idle, active, opening) and in total.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const stats = pool.stats();
      this.set({ state: 'total' }, stats.total);
      this.set({ state: 'idle' }, stats.idle);
      this.set({ state: 'active' }, stats.active);
      this.set({ state: 'opening' }, stats.opening);
    },
  });
  new Gauge({
    name: 'strata_pool_max_connections',
    help: 'The pool size limit (max).',
    registers: [registry],
    collect() {
      this.set(pool.config.max);
    },
  });
  new Gauge({
    name: 'strata_pool_waiting_requests',
    help: 'Callers waiting for a free connection.',
    registers: [registry],
    collect() {
      this.set(pool.stats().waiting);
    },
  });
  new Gauge({
    name: 'strata_pool_acquire_latency_seconds',
    help: 'Time to get a connection from the pool, over the most recent 2048 acquisitions.',
    labelNames: ['quantile'],
    registers: [registry],
    collect() {
      const { p50, p99 } = pool.stats().acquireLatencyMs;
      this.set({ quantile: '0.5' }, p50 / 1000);
      this.set({ quantile: '0.99' }, p99 / 1000);
    },
  });
  // pool.stats() holds running totals; a counter reports them as they are.
  const totals: Array<[string, string, (stats: ReturnType<Pool['stats']>) => number]> = [
    [
      'strata_pool_acquire_timeouts_total',
      'Acquisitions that gave up after acquireTimeout.',
      (s) => s.acquireTimeouts,
    ],
    ['strata_pool_errors_total', 'Errors the pool raised to callers.', (s) => s.errors],
    ['strata_pool_connections_created_total', 'Connections opened.', (s) => s.created],
    ['strata_pool_connections_closed_total', 'Connections closed.', (s) => s.destroyed],
    ['strata_pool_acquisitions_total', 'Connections handed out.', (s) => s.acquireCount],
  ];
  for (const [name, help, read] of totals) {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read(pool.stats()));
      },
    });
  }

  return {
    registry,
    observeRequest(method, route, statusCode, seconds) {
      requestDuration.observe({ method, route, status_code: String(statusCode) }, seconds);
    },
  };
}
