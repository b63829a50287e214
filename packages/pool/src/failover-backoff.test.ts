import { describe, expect, test } from 'vitest';
import { failoverDelay, maxRoundsWithin, nominalDelay } from './failover-backoff.js';

const backoff = { baseDelay: 100, maxDelay: 1_000 };

describe('failover backoff', () => {
  test('doubles from baseDelay up to maxDelay', () => {
    expect([0, 1, 2, 3, 4, 5, 40].map((round) => nominalDelay(round, backoff))).toEqual([
      100, 200, 400, 800, 1_000, 1_000, 1_000,
    ]);
  });

  test('jitter stays within [nominal / 2, nominal]', () => {
    expect(failoverDelay(2, backoff, () => 0)).toBe(200);
    expect(failoverDelay(2, backoff, () => 1)).toBe(400);
    expect(failoverDelay(9, backoff, () => 0.5)).toBe(750);
  });

  test('bounds how many rounds can start in a period', () => {
    // Starts at 0, then no earlier than 50, 150, 350, 750, 1250, 1750, ... ms (every 500 from there).
    expect(maxRoundsWithin(0, backoff)).toBe(1);
    expect(maxRoundsWithin(49, backoff)).toBe(1);
    expect(maxRoundsWithin(50, backoff)).toBe(2);
    expect(maxRoundsWithin(1_000, backoff)).toBe(5);
    expect(maxRoundsWithin(10_000, backoff)).toBe(23);
  });
});
