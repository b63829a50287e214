/** The backoff between attempts of a transaction that failed with a retryable error. */
export interface RetryBackoff {
  /** The cap of the first retry's delay; each later retry doubles it. */
  baseDelayMs: number;
  /** No delay exceeds this. */
  maxDelayMs: number;
}

/**
 * The delay before retry number `retry` (1 for the first retry): exponential backoff with
 * full jitter, a uniformly random delay in [0, min(maxDelayMs, baseDelayMs * 2^(retry-1))).
 * Full jitter spreads transactions that collided apart, so they do not collide again in
 * lockstep.
 */
export function retryDelayMs(
  retry: number,
  backoff: RetryBackoff,
  random: () => number = Math.random,
): number {
  const cap = Math.min(backoff.maxDelayMs, backoff.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * cap);
}
