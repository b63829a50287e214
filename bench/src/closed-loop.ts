import type { Measurement } from './benchmark.js';

export interface ClosedLoopOptions {
  /** Callers running at once; each starts its next operation when the previous one ends. */
  concurrency: number;
  /** How long to run, after warm-up. */
  durationMs: number;
  /** Un-timed warm-up before measuring (caches, prepared statements, JIT). */
  warmupMs?: number;
  /** One operation; `index` counts operations across all callers. */
  operation: (index: number) => Promise<unknown>;
}

/**
 * Runs `operation` from `concurrency` callers for `durationMs` and returns operations per
 * second with every operation's latency. Subject and baseline use the same loop, so the
 * harness costs both sides alike.
 */
export async function runClosedLoop(options: ClosedLoopOptions): Promise<Measurement> {
  let index = 0;
  const phase = async (durationMs: number, latencies: number[] | undefined) => {
    const deadline = performance.now() + durationMs;
    const caller = async () => {
      while (performance.now() < deadline) {
        const started = performance.now();
        await options.operation(index++);
        latencies?.push(performance.now() - started);
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, caller));
  };
  if (options.warmupMs) await phase(options.warmupMs, undefined);
  const latenciesMs: number[] = [];
  const started = performance.now();
  await phase(options.durationMs, latenciesMs);
  const elapsedSeconds = (performance.now() - started) / 1000;
  return { value: latenciesMs.length / elapsedSeconds, latenciesMs };
}
