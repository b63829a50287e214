import type { PoolEvents } from './pool.js';
import type { PooledConnection } from './pooled-connection.js';

type Leak = PoolEvents['leak'][0];

/** Where leak reports go: the pool's `leak` listeners, when it has any. */
export interface LeakListeners {
  listenerCount(event: 'leak'): number;
  emit(event: 'leak', leak: Leak): boolean;
}

/** How often to look for leaks: about twice per threshold, between 10 ms and once a second. */
export function leakCheckPeriod(threshold: number): number {
  return Math.max(10, Math.min(1_000, Math.floor(threshold / 2)));
}

/**
 * Reports each connection held past `threshold` ms, once per checkout, with the stack that
 * acquired it: to the `leak` listeners, or to console.warn when there are none. Only checkouts
 * that recorded a stack (leak detection on, a holder that can leak) are watched.
 */
export function reportLeaks(
  connections: Iterable<PooledConnection>,
  threshold: number,
  listeners: LeakListeners,
): void {
  const now = performance.now();
  for (const connection of connections) {
    if (connection.state !== 'active' || !connection.leaseStack || connection.leakReported) continue;
    const heldMs = now - connection.leasedAt;
    if (heldMs < threshold) continue;
    connection.leakReported = true;
    const leak: Leak = {
      connectionId: connection.id,
      processId: connection.processId,
      heldMs: Math.round(heldMs),
      stack: (connection.leaseStack.stack ?? '').split('\n').slice(1).join('\n'),
    };
    if (listeners.listenerCount('leak') > 0) {
      listeners.emit('leak', leak);
    } else {
      console.warn(
        `[@strata/pool] A connection has been checked out for ${leak.heldMs} ms ` +
          `(leakDetectionThreshold ${threshold} ms) and not released. It was acquired at:\n${leak.stack}`,
      );
    }
  }
}
