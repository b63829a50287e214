import type { Benchmark, BenchmarkContext, Measurement } from './benchmark.js';
import { median, quantile } from './statistics.js';

/** One row of `bench/results/latest.json`. */
export interface BenchmarkResult {
  id: string;
  subject: string;
  baseline: string;
  subject_value: number | null;
  baseline_value: number | null;
  unit: string;
  /** subject_value / baseline_value, the median over rounds; read with `higher_is_better`. */
  ratio: number | null;
  higher_is_better: boolean;
  p50_ms: number | null;
  p99_ms: number | null;
  rounds: number;
  /** Failed operations over all rounds, for benchmarks that count them. */
  subject_errors?: number;
  baseline_errors?: number;
  skipped?: string;
  measured_at: string;
}

const round = (value: number, digits = 3) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : null);

/**
 * Runs one benchmark: setup, then `rounds` pairs of subject and baseline runs whose order
 * alternates each round (so neither side always runs on a warmer machine), then teardown.
 * The ratio reported is the median of the per-round ratios.
 */
export async function runBenchmark(
  benchmark: Benchmark,
  context: BenchmarkContext,
): Promise<BenchmarkResult> {
  const base = {
    id: benchmark.id,
    subject: benchmark.subject,
    baseline: benchmark.baseline,
    unit: benchmark.unit,
    higher_is_better: benchmark.higherIsBetter,
    measured_at: new Date().toISOString(),
  };
  const availability = benchmark.available ? await benchmark.available() : true;
  if (availability !== true) {
    return {
      ...base,
      subject_value: null,
      baseline_value: null,
      ratio: null,
      p50_ms: null,
      p99_ms: null,
      rounds: 0,
      skipped: availability.skipped,
    };
  }
  const rounds = benchmark.rounds ?? 5;
  const state = await benchmark.setup(context);
  const subjects: Measurement[] = [];
  const baselines: Measurement[] = [];
  try {
    for (let index = 0; index < rounds; index++) {
      if (index % 2 === 0) {
        subjects.push(await benchmark.runSubject(state));
        baselines.push(await benchmark.runBaseline(state));
      } else {
        baselines.push(await benchmark.runBaseline(state));
        subjects.push(await benchmark.runSubject(state));
      }
    }
  } finally {
    await benchmark.teardown?.(state);
  }
  const ratios = subjects.map((subject, index) => subject.value / (baselines[index] as Measurement).value);
  const latencies = subjects.flatMap((subject) => subject.latenciesMs ?? []);
  const errorsOf = (measurements: Measurement[]) =>
    measurements.some((measurement) => measurement.errors !== undefined)
      ? measurements.reduce((sum, measurement) => sum + (measurement.errors ?? 0), 0)
      : undefined;
  const subjectErrors = errorsOf(subjects);
  const baselineErrors = errorsOf(baselines);
  return {
    ...base,
    subject_value: round(median(subjects.map((s) => s.value))),
    baseline_value: round(median(baselines.map((b) => b.value))),
    ratio: round(median(ratios)),
    p50_ms: latencies.length ? round(quantile(latencies, 0.5)) : null,
    p99_ms: latencies.length ? round(quantile(latencies, 0.99)) : null,
    rounds,
    ...(subjectErrors !== undefined && { subject_errors: subjectErrors }),
    ...(baselineErrors !== undefined && { baseline_errors: baselineErrors }),
  };
}
