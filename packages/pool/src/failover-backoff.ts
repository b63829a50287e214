/** Exponential backoff between rounds of looking for the primary. */
export interface FailoverBackoff {
  readonly baseDelay: number;
  readonly maxDelay: number;
}

/** The delay before round `round + 1` without jitter: `baseDelay × 2^round`, at most `maxDelay`. */
export function nominalDelay(round: number, backoff: FailoverBackoff): number {
  return Math.min(backoff.maxDelay, backoff.baseDelay * 2 ** Math.min(round, 30));
}

/**
 * The delay after round `round` (0-based) of looking for the primary: the nominal delay with
 * "equal jitter", drawn from [nominal / 2, nominal]. Jitter spreads the pools of many processes
 * apart; the lower bound keeps the number of rounds in any period bounded (`maxRoundsWithin`).
 */
export function failoverDelay(
  round: number,
  backoff: FailoverBackoff,
  random: () => number = Math.random,
): number {
  const nominal = nominalDelay(round, backoff);
  return nominal / 2 + (random() * nominal) / 2;
}

/**
 * The most rounds that can start within `elapsedMs` of the first (which starts at once):
 * every delay lasts at least half its nominal value, and probing takes time of its own.
 */
export function maxRoundsWithin(elapsedMs: number, backoff: FailoverBackoff): number {
  let rounds = 1;
  let earliest = 0;
  for (let round = 0; ; round++) {
    earliest += nominalDelay(round, backoff) / 2;
    if (earliest > elapsedMs) return rounds;
    rounds += 1;
  }
}
