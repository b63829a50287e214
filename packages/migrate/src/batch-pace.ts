/** What one batch of a backfill showed. */
export interface BatchObservation {
  /** Wall time of the batch's transaction, round trips included. */
  durationMs: number;
  /** Rows the batch selected (at most its size). */
  selected: number;
  /** Other sessions waiting on a lock this batch held (seen before it committed). */
  lockWaiters: number;
  /** Other client sessions of the database running a statement at that moment. */
  activeSessions: number;
}

/** How a backfill adapts; `false` keeps `batchSize` and `pause` fixed. */
export type AdaptivePacing =
  | false
  | {
      /** A batch that took longer is followed by smaller ones, sized to fit. */
      targetBatchTime: number;
      /** The smallest batch the backfill shrinks to. */
      minBatchSize: number;
      /** The longest pause between batches. */
      maxPause: number;
    };

// The pause is the last batch's duration times this factor: 1 gives the application at least
// as much time as the backfill takes; each sign of harm doubles it, up to this many times.
const MAX_YIELD = 8;
const GROWTH = 1.5;

/**
 * The pace of a backfill: how many rows the next batch takes and how long to pause first.
 * It starts at `batchSize` with `pause`. While other sessions of the database are running
 * statements, it yields: the pause is at least as long as the last batch took. When a batch
 * made another session wait on its locks, the next batches are halved and the pause doubled
 * (up to `maxPause`); a batch slower than `targetBatchTime` makes the next one small enough
 * to fit. When all is calm again, batches grow back to `batchSize` and the pause shrinks back
 * to `pause`.
 */
export class BatchPace {
  readonly #largest: number;
  readonly #pause: number;
  readonly #adaptive: AdaptivePacing;
  #size: number;
  #yield = 0;

  constructor(batchSize: number, pause: number, adaptive: AdaptivePacing) {
    this.#largest = batchSize;
    this.#size = batchSize;
    this.#pause = pause;
    this.#adaptive = adaptive;
  }

  /** Rows the next batch may take. */
  get batchSize(): number {
    return this.#size;
  }

  /** Takes in what the last batch showed; returns the pause before the next one, in ms. */
  next(batch: BatchObservation): number {
    const adaptive = this.#adaptive;
    if (adaptive === false) return this.#pause;
    const smallest = Math.min(adaptive.minBatchSize, this.#largest);
    if (batch.lockWaiters > 0) {
      this.#size = Math.max(smallest, Math.floor(this.#size / 2));
      this.#yield = Math.min(MAX_YIELD, Math.max(1, this.#yield * 2));
    } else {
      this.#size = Math.min(this.#largest, Math.ceil(this.#size * GROWTH));
      // Busy but unharmed: yield one for one. Idle: back to the configured pause.
      const floor = batch.activeSessions > 0 ? 1 : 0;
      this.#yield = Math.max(this.#yield / 2, floor);
      if (this.#yield < 0.25) this.#yield = 0;
    }
    if (batch.durationMs > adaptive.targetBatchTime && batch.selected > 0) {
      const fits = Math.floor((batch.selected * adaptive.targetBatchTime) / batch.durationMs);
      this.#size = Math.max(smallest, Math.min(this.#size, fits));
    }
    const pause = Math.max(this.#pause, Math.round(batch.durationMs * this.#yield));
    return Math.min(pause, Math.max(adaptive.maxPause, this.#pause));
  }
}
