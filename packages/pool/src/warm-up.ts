import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectionError } from '@strata/errors';
import { type ConnectTarget, readyFailure } from './connect-failure.js';

const BACKOFF_START_MS = 100;
const BACKOFF_MAX_MS = 2_000;

/** What `warmUp` needs from the pool. */
export interface WarmUpSubject {
  closed(): boolean;
  /** How many connections to open so that `wanted` are open (or opening), within `max`. */
  missing(wanted: number): number;
  open(): Promise<unknown>;
}

/**
 * `ready()`'s work: opens connections until `wanted` are open, retrying with exponential
 * backoff (100 ms doubling to 2 s) while the server is unreachable, for up to `readyTimeout`.
 * An error other than a ConnectionError (e.g. a rejected login) fails at once: retrying will
 * not help. After `readyTimeout` it fails with a ConnectionError naming the target.
 */
export async function warmUp(
  subject: WarmUpSubject,
  wanted: number,
  readyTimeout: number,
  target: ConnectTarget,
): Promise<void> {
  const deadline = performance.now() + readyTimeout;
  for (let delay = BACKOFF_START_MS; ; delay = Math.min(delay * 2, BACKOFF_MAX_MS)) {
    const attempts = Array.from({ length: Math.max(0, subject.missing(wanted)) }, () => subject.open());
    const failures = (await Promise.allSettled(attempts)).flatMap((result) =>
      result.status === 'rejected' ? [result.reason as unknown] : [],
    );
    if (failures.length === 0) return;
    const fatal = failures.find((error) => !(error instanceof ConnectionError));
    if (fatal !== undefined) throw fatal;
    if (subject.closed() || performance.now() + delay > deadline) {
      throw readyFailure(failures[failures.length - 1], wanted, readyTimeout, target);
    }
    await sleep(delay);
  }
}
