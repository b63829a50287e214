const SAMPLES = 2048;

/**
 * Acquire latencies of the most recent 2048 acquisitions, in a fixed ring buffer: recording
 * is one array write, and percentiles are computed only when someone asks for stats.
 */
export class AcquireLatency {
  readonly #samples = new Float64Array(SAMPLES);
  #next = 0;
  #count = 0;

  record(milliseconds: number): void {
    this.#samples[this.#next] = milliseconds;
    this.#next = (this.#next + 1) % SAMPLES;
    if (this.#count < SAMPLES) this.#count += 1;
  }

  percentiles(): { p50: number; p99: number } {
    if (this.#count === 0) return { p50: 0, p99: 0 };
    const sorted = this.#samples.slice(0, this.#count).sort();
    const at = (fraction: number) =>
      sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? 0;
    return { p50: at(0.5), p99: at(0.99) };
  }
}
