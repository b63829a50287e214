/** Work under way that close() must wait for: connections being opened, closed or probed. */
export class InFlight {
  readonly #promises = new Set<Promise<unknown>>();

  /** Watches `promise` until it settles, and returns it. */
  track<T>(promise: Promise<T>): Promise<T> {
    const settled: Promise<unknown> = promise.then(
      () => this.#promises.delete(settled),
      () => this.#promises.delete(settled),
    );
    this.#promises.add(settled);
    return promise;
  }

  /** Resolves once nothing is under way, including work started while waiting. */
  async settled(): Promise<void> {
    while (this.#promises.size > 0) await Promise.allSettled([...this.#promises]);
  }
}
