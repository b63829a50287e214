/** Closed-loop writers started by `startWriters`: every write's latency, and the failed ones. */
export interface WriterRun {
  latenciesMs: number[];
  readonly errors: number;
  /** The first failures' messages (at most 5), for the log. */
  readonly firstErrors: string[];
  stop: () => Promise<void>;
}

/**
 * Starts `count` closed-loop writers, each running `write(writerIndex)` until stopped, timing
 * every successful write and counting failed ones. The migrate benchmarks use it for the
 * application's traffic and for readers alike.
 */
export function startWriters(count: number, write: (writerIndex: number) => Promise<unknown>): WriterRun {
  const latenciesMs: number[] = [];
  const firstErrors: string[] = [];
  let errors = 0;
  let running = true;
  const writer = async (index: number) => {
    while (running) {
      const started = performance.now();
      try {
        await write(index);
        latenciesMs.push(performance.now() - started);
      } catch (error) {
        errors++;
        if (firstErrors.length < 5) firstErrors.push(error instanceof Error ? error.message : String(error));
      }
    }
  };
  const done = Promise.all(Array.from({ length: count }, (_, index) => writer(index)));
  return {
    latenciesMs,
    get errors() {
      return errors;
    },
    firstErrors,
    stop: async () => {
      running = false;
      await done;
    },
  };
}
