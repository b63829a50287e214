import { InvalidConfigError } from '@strata/errors';
import { describe, expect, test } from 'vitest';
import {
  activeSession,
  ConsistencySession,
  formatWalPosition,
  parseWalPosition,
} from './consistency-session.js';

// The capture callback stands for "ask the primary for pg_current_wal_insert_lsn()"; the
// sessions' behaviour against real servers is in read-replicas.test.ts.
function counter(start: bigint) {
  let next = start;
  const calls: bigint[] = [];
  return {
    calls,
    capture: async () => {
      next += 16n;
      calls.push(next);
      return next;
    },
  };
}

describe('WAL positions', () => {
  test('pg_lsn text round-trips as a number', () => {
    expect(parseWalPosition('16/B374D848')).toBe((0x16n << 32n) | 0xb374d848n);
    expect(formatWalPosition((0x16n << 32n) | 0xb374d848n)).toBe('16/B374D848');
    expect(parseWalPosition('0/0')).toBe(0n);
    expect(parseWalPosition('nope')).toBeUndefined();
    expect(parseWalPosition('123456789/0')).toBeUndefined();
  });
});

describe('ConsistencySession', () => {
  test('defaults to read-your-writes; bad options name the field', () => {
    const owner = {};
    expect(new ConsistencySession(owner, async () => undefined).consistency).toBe('read-your-writes');
    const error = (() => {
      try {
        // @ts-expect-error: not a consistency
        new ConsistencySession(owner, async () => undefined, { consistency: 'eventual', position: 'x' });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect((error as InvalidConfigError).issues.map((issue) => issue.path)).toEqual([
      'consistency',
      'position',
    ]);
  });

  test('takes the position only after a write, once per write, and keeps the highest', async () => {
    const primary = counter(0x100n);
    const session = new ConsistencySession({}, primary.capture, { position: '0/10' });
    expect(await session.position()).toBe('0/10');
    expect(primary.calls).toHaveLength(0);

    session.markWrite();
    expect(await session.position()).toBe('0/110');
    expect(await session.position()).toBe('0/110');
    expect(primary.calls).toHaveLength(1);
  });

  test('concurrent reads share one capture; a write that finished meanwhile is captured again', async () => {
    const primary = counter(0n);
    const session = new ConsistencySession({}, primary.capture);
    session.markWrite();
    const first = session.requiredPosition();
    const second = session.requiredPosition();
    session.markWrite(); // finished while the first capture was under way
    const third = session.requiredPosition();
    expect(await first).toBe(16n);
    expect(await second).toBe(16n);
    expect(await third).toBe(32n);
    expect(primary.calls).toEqual([16n, 32n]);
  });

  test('run() makes it the active session of its owner only', async () => {
    const owner = {};
    const session = new ConsistencySession(owner, async () => undefined);
    await session.run(async () => {
      await Promise.resolve();
      expect(activeSession(owner)).toBe(session);
      expect(activeSession({})).toBeUndefined();
    });
    expect(activeSession(owner)).toBeUndefined();
  });
});
