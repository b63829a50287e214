/** What `stats()` counts from the pool's creation on. */
export class PoolCounters {
  /** Connections opened. */
  created = 0;
  /** Connections closed. */
  destroyed = 0;
  acquireCount = 0;
  /** Errors raised to callers: query errors, acquire timeouts and failed connects. */
  errors = 0;
  acquireTimeouts = 0;
}
