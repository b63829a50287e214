import type { DrainSignal } from './drain-signal.js';
import type { PooledConnection } from './pooled-connection.js';

// After the close timeout, cancelled statements get this long to unwind before sockets are cut.
const CANCEL_GRACE_MS = 1_000;

/** What `drainConnections` needs from a closing pool. */
export interface DrainSubject {
  /** Notified when the last checked-out connection comes back. */
  readonly drained: DrainSignal;
  /** Whether no connection is checked out. */
  isDrained(): boolean;
  /** The connections checked out now. */
  active(): PooledConnection[];
  /** Closes every connection the pool still has. */
  destroyAll(): void;
  /** Resolves once every connection being opened or closed has settled. */
  settled(): Promise<void>;
}

/**
 * The end of `close()`: lets checked-out connections come back for up to `timeoutMs`; past it,
 * cancels their statements (CancelRequest), gives them a moment to unwind and cuts what is
 * still held. Then closes every connection, including ones that finished opening meanwhile.
 */
export async function drainConnections(
  subject: DrainSubject,
  timeoutMs: number,
  connectTimeout: number,
): Promise<void> {
  if (!subject.isDrained() && !(await subject.drained.wait(timeoutMs, subject.isDrained()))) {
    await Promise.all(subject.active().map((connection) => connection.cancel(connectTimeout)));
    await subject.drained.wait(CANCEL_GRACE_MS, subject.isDrained());
    subject.destroyAll();
  }
  await subject.settled();
  subject.destroyAll();
  await subject.settled();
}
