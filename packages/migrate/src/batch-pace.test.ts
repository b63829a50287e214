import { describe, expect, test } from 'vitest';
import { BatchPace } from './batch-pace.js';

const adaptive = { targetBatchTime: 1_000, minBatchSize: 100, maxPause: 5_000 };
const calm = { durationMs: 40, selected: 1_000, lockWaiters: 0, activeSessions: 0 };

describe('BatchPace', () => {
  test('on an idle database it keeps batchSize and the configured pause', () => {
    const pace = new BatchPace(1_000, 5, adaptive);
    expect([pace.next(calm), pace.next(calm), pace.batchSize]).toEqual([5, 5, 1_000]);
  });

  test('while other sessions run statements it pauses as long as the last batch took', () => {
    const pace = new BatchPace(1_000, 0, adaptive);
    expect(pace.next({ ...calm, activeSessions: 3 })).toBe(40);
    expect(pace.batchSize).toBe(1_000);
  });

  test('after making a session wait on its locks it halves the batch and doubles the pause, down to minBatchSize and up to maxPause', () => {
    const pace = new BatchPace(1_000, 0, { ...adaptive, maxPause: 100 });
    const harm = { ...calm, lockWaiters: 1 };
    expect([pace.next(harm), pace.batchSize]).toEqual([40, 500]);
    expect([pace.next(harm), pace.batchSize]).toEqual([80, 250]);
    expect([pace.next(harm), pace.batchSize]).toEqual([100, 125]);
    expect([pace.next(harm), pace.batchSize]).toEqual([100, 100]);
    // Calm again: batches grow back by half each time, the pause halves away.
    expect([pace.next(calm), pace.batchSize]).toEqual([100, 150]);
    for (let i = 0; i < 10; i++) pace.next(calm);
    expect([pace.next(calm), pace.batchSize]).toEqual([0, 1_000]);
  });

  test('a batch slower than targetBatchTime makes the next one small enough to fit', () => {
    const pace = new BatchPace(1_000, 0, adaptive);
    pace.next({ ...calm, durationMs: 4_000 });
    expect(pace.batchSize).toBe(250);
  });

  test('adaptive: false keeps batchSize and pause whatever happens', () => {
    const pace = new BatchPace(1_000, 7, false);
    expect(pace.next({ durationMs: 9_000, selected: 1_000, lockWaiters: 3, activeSessions: 9 })).toBe(7);
    expect(pace.batchSize).toBe(1_000);
  });
});
