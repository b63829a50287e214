import { type LeakListeners, leakCheckPeriod, reportLeaks } from './leak-detection.js';
import type { PoolSettings } from './pool-config.js';
import type { PooledConnection } from './pooled-connection.js';

/** What the pool's periodic work runs on. */
export interface HousekeepingSubject {
  /** Open connections, watched for leaks. */
  readonly connections: Iterable<PooledConnection>;
  /** Where leak reports go (the `leak` event, else console.warn). */
  readonly listeners: LeakListeners;
  /** Retires expired idle connections, probes the rest and restores `min`. */
  checkHealth(): Promise<void>;
}

/**
 * The pool's periodic work: a health check every `healthCheckPeriod` (never two at once), and
 * with `leakDetectionThreshold` set, leak reports about twice per threshold. Its timers do not
 * keep the process alive.
 */
export class PoolHousekeeping {
  readonly #timers: NodeJS.Timeout[] = [];
  #checking = false;

  constructor(
    settings: Pick<PoolSettings, 'healthCheckPeriod' | 'leakDetectionThreshold'>,
    subject: HousekeepingSubject,
  ) {
    this.#timers.push(setInterval(() => void this.#check(subject), settings.healthCheckPeriod).unref());
    const threshold = settings.leakDetectionThreshold;
    if (threshold > 0) {
      const report = () => reportLeaks(subject.connections, threshold, subject.listeners);
      this.#timers.push(setInterval(report, leakCheckPeriod(threshold)).unref());
    }
  }

  async #check(subject: HousekeepingSubject): Promise<void> {
    if (this.#checking) return;
    this.#checking = true;
    try {
      await subject.checkHealth();
    } finally {
      this.#checking = false;
    }
  }

  /** Stops the timers (the pool closed). */
  stop(): void {
    for (const timer of this.#timers) clearInterval(timer);
  }
}
