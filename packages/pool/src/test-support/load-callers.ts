import { setTimeout as sleep } from 'node:timers/promises';

/** One call a load caller made, with `performance.now()` times. */
export interface Call<T> {
  caller: number;
  startedAt: number;
  endedAt: number;
  /** What the call resolved to, when it succeeded. */
  value?: T;
  /** Why it failed, when it did. */
  error?: unknown;
}

/**
 * `callers` concurrent loops, each calling `call(caller)` again as soon as the last call
 * settles (after a failure, following a short pause: a server that refuses connections
 * answers at once, and a loop without one would only burn CPU), until `stop()`.
 */
export class LoadCallers<T> {
  readonly calls: Call<T>[] = [];
  #stopped = false;
  readonly #loops: Promise<void>[];

  constructor(callers: number, call: (caller: number) => Promise<T>, pauseAfterFailureMs = 10) {
    this.#loops = Array.from({ length: callers }, async (_, caller) => {
      while (!this.#stopped) {
        const startedAt = performance.now();
        try {
          const value = await call(caller);
          this.calls.push({ caller, startedAt, endedAt: performance.now(), value });
        } catch (error) {
          this.calls.push({ caller, startedAt, endedAt: performance.now(), error });
          await sleep(pauseAfterFailureMs);
        }
      }
    });
  }

  get failures(): Call<T>[] {
    return this.calls.filter((call) => 'error' in call);
  }

  /**
   * Resolves once every caller has had a call succeed that ended after `since`; returns
   * when the last of them did.
   */
  async allServedAfter(since: number): Promise<number> {
    const callers = this.#loops.length;
    const firstSuccess = new Map<number, number>();
    // Calls are recorded as they end, so each is looked at once.
    for (let next = 0; ; await sleep(5)) {
      for (; next < this.calls.length; next++) {
        const call = this.calls[next] as Call<T>;
        if ('error' in call || call.endedAt <= since || firstSuccess.has(call.caller)) continue;
        firstSuccess.set(call.caller, call.endedAt);
      }
      if (firstSuccess.size === callers) return Math.max(...firstSuccess.values());
    }
  }

  /** Stops every loop after its current call. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#loops);
  }
}

/** How many of each error class the calls failed with, e.g. `{ ConnectionError: 12 }`. */
export function errorCounts(calls: readonly Call<unknown>[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { error } of calls) {
    if (error === undefined) continue;
    const name = error instanceof Error ? error.constructor.name : typeof error;
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}
