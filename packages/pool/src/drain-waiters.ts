/** Callers of close() waiting for the last checked-out connection to come back. */
export class DrainWaiters {
  #waiting: Array<() => void> = [];

  /** Resolves true once `notify()` is called, or false after `timeoutMs`; true at once when `drained`. */
  wait(drained: boolean, timeoutMs: number): Promise<boolean> {
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
