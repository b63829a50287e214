const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

const running = new Set<() => Promise<void>>();

function onSignal(signal: NodeJS.Signals): void {
  // An application with its own handler decides when to stop (and must call stop()).
  if (process.listenerCount(signal) > 1) return;
  void Promise.allSettled([...running].map((stop) => stop())).finally(() => {
    for (const name of SIGNALS) process.removeListener(name, onSignal);
    // Die of the signal as the process would have without us.
    process.kill(process.pid, signal);
  });
}

/**
 * Registers a server's `stop` so that SIGINT, SIGTERM or SIGHUP stop it before the process
 * ends, when nothing else in the process handles the signal. Returns the unregister function.
 */
export function stopOnSignal(stop: () => Promise<void>): () => void {
  if (running.size === 0) for (const name of SIGNALS) process.on(name, onSignal);
  running.add(stop);
  return () => {
    running.delete(stop);
    if (running.size === 0) for (const name of SIGNALS) process.removeListener(name, onSignal);
  };
}

/** A resource tied to the life of this process. */
export interface ProcessTie {
  /** Stops the resource, once however often it is called, and unties it. */
  stop(): Promise<void>;
  /** Unties it without stopping it: for a failed start that its caller cleans up itself. */
  untie(): void;
}

/**
 * Ties servers to this process so none outlives it: `stop` runs on `tie.stop()` or on
 * SIGINT/SIGTERM/SIGHUP (see `stopOnSignal`), and `onExit` — synchronous, as nothing else
 * runs then — if the process exits first.
 */
export function tieToProcess(stop: () => Promise<void>, onExit: () => void): ProcessTie {
  let stopping: Promise<void> | undefined;
  const untie = () => {
    unregisterSignals();
    process.removeListener('exit', onExit);
  };
  const stopOnce = () => {
    stopping ??= (async () => {
      untie();
      await stop();
    })();
    return stopping;
  };
  process.once('exit', onExit);
  const unregisterSignals = stopOnSignal(stopOnce);
  return { stop: stopOnce, untie };
}
