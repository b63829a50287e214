/** Lets close() wait for the last held connection to come back, for at most a timeout. */
export class DrainSignal {
  readonly #waiting: Array<() => void> = [];

  /** Resolves true at the next `notify()`, or false once `timeoutMs` passed. */
  wait(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.#waiting.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Wakes every waiting close(). */
  notify(): void {
    for (const wake of this.#waiting.splice(0)) wake();
  }
}
