import type { PooledConnection } from './pooled-connection.js';

/** A caller waiting for a connection. */
export interface Waiter {
  /** `performance.now()` when the caller asked, for the acquire latency. */
  readonly startedAt: number;
  /** Where the caller asked, when leak detection watches this checkout. */
  readonly stack: Error | undefined;
  resolve(connection: PooledConnection): void;
  reject(error: unknown): void;
}

interface QueuedWaiter extends Waiter {
  timer: NodeJS.Timeout | undefined;
}

/** Callers waiting for a connection, served in the order they came; each gives up after a timeout. */
export class WaitingCallers {
  readonly #queue: QueuedWaiter[] = [];

  get length(): number {
    return this.#queue.length;
  }

  /**
   * Queues a caller until `next()` serves it or `timeoutMs` passes. On timeout the caller gets
   * the error `timedOut` makes; it runs while that caller still counts as waiting.
   */
  wait(
    startedAt: number,
    stack: Error | undefined,
    timeoutMs: number,
    timedOut: () => unknown,
  ): Promise<PooledConnection> {
    return new Promise<PooledConnection>((resolve, reject) => {
      const waiter: QueuedWaiter = { resolve, reject, startedAt, stack, timer: undefined };
      waiter.timer = setTimeout(() => {
        const index = this.#queue.indexOf(waiter);
        if (index === -1) return;
        const error = timedOut();
        this.#queue.splice(index, 1);
        reject(error);
      }, timeoutMs);
      this.#queue.push(waiter);
    });
  }

  /** The longest-waiting caller, its timeout stopped; undefined when nobody waits. */
  next(): Waiter | undefined {
    const waiter = this.#queue.shift();
    if (waiter !== undefined) clearTimeout(waiter.timer);
    return waiter;
  }

  /** Every waiting caller, timeouts stopped, the queue emptied (for close()). */
  takeAll(): Waiter[] {
    const all = this.#queue.splice(0);
    for (const waiter of all) clearTimeout(waiter.timer);
    return all;
  }
}
