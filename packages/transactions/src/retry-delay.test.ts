import { describe, expect, it } from 'vitest';
import { retryDelayMs } from './retry-delay.js';

const backoff = { baseDelayMs: 10, maxDelayMs: 200 };

describe('retryDelayMs', () => {
  it('draws the delay uniformly below a cap that doubles with every retry', () => {
    const justBelowOne = () => 0.999_999;
    expect(retryDelayMs(1, backoff, justBelowOne)).toBe(9);
    expect(retryDelayMs(2, backoff, justBelowOne)).toBe(19);
    expect(retryDelayMs(3, backoff, justBelowOne)).toBe(39);
    expect(retryDelayMs(4, backoff, () => 0.5)).toBe(40);
  });

  it('never exceeds maxDelayMs however many retries ran', () => {
    expect(retryDelayMs(30, backoff, () => 0.999_999)).toBe(199);
  });

  it('can be zero (full jitter, not equal jitter)', () => {
    expect(retryDelayMs(3, backoff, () => 0)).toBe(0);
  });
});
