/**
 * Lets `close()` wait until no connection is checked out any more: the pool calls `notify()`
 * whenever the last one comes back while it is closing.
 */
export class DrainSignal {
  #waiting: Array<() => void> = [];

  /** Resolves true once notified (at once when `drained` already), false after `timeoutMs`. */
  wait(timeoutMs: number, drained: boolean): Promise<boolean> {
    if (drained) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.#waiting.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  notify(): void {
    for (const notify of this.#waiting.splice(0)) notify();
  }
}
