import { describe, expect, test } from 'vitest';
import { judgeMigration, worstVerdict } from './rehearsal-verdict.js';

const thresholds = { maxBlockingMs: 1_000 };

describe('judgeMigration', () => {
  test('a write-blocking lock on a table held past the threshold fails, judged by its strongest lock', () => {
    expect(
      judgeMigration(
        {
          locks: [
            {
              relation: 'public.orders',
              relationKind: 'table',
              source: 'observed',
              mode: 'ShareLock',
              heldMs: 1_500,
            },
            {
              relation: 'public.orders',
              relationKind: 'table',
              source: 'observed',
              mode: 'AccessExclusiveLock',
              heldMs: 1_200,
            },
            {
              relation: 'public.orders_pkey',
              relationKind: 'index',
              source: 'observed',
              mode: 'AccessExclusiveLock',
              heldMs: 1_200,
            },
          ],
          rewritten: [],
          error: undefined,
        },
        thresholds,
      ),
    ).toEqual({
      verdict: 'fail',
      reasons: [
        'ACCESS EXCLUSIVE on public.orders held 1200 ms (more than 1000 ms): reads and writes to it wait that long',
      ],
    });
  });

  test('SHARE past the threshold blocks writes only; locks that let writers through never fail', () => {
    expect(
      judgeMigration(
        {
          locks: [
            {
              relation: 'public.a',
              relationKind: 'table',
              source: 'observed',
              mode: 'ShareLock',
              heldMs: 2_000,
            },
            {
              relation: 'public.b',
              relationKind: 'table',
              source: 'observed',
              mode: 'ShareUpdateExclusiveLock',
              heldMs: 60_000,
            },
            {
              relation: 'public.c',
              relationKind: 'table',
              source: 'observed',
              mode: 'RowExclusiveLock',
              heldMs: 60_000,
            },
          ],
          rewritten: [],
          error: undefined,
        },
        thresholds,
      ).reasons,
    ).toEqual(['SHARE on public.a held 2000 ms (more than 1000 ms): writes to it wait that long']);
  });

  test('a full rewrite within the threshold warns; rows updated in place do not', () => {
    expect(
      judgeMigration(
        {
          locks: [
            {
              relation: 'public.a',
              relationKind: 'table',
              source: 'observed',
              mode: 'AccessExclusiveLock',
              heldMs: 1_000,
            },
          ],
          rewritten: [
            { table: 'public.a', rows: 500, fullRewrite: true },
            { table: 'public.b', rows: 500, fullRewrite: false },
          ],
          error: undefined,
        },
        thresholds,
      ),
    ).toEqual({
      verdict: 'warn',
      reasons: ['rewrote all 500 rows of public.a: the time (and its lock) grows with the table'],
    });
  });

  test('a failed migration fails', () => {
    expect(judgeMigration({ locks: [], rewritten: [], error: 'boom' }, thresholds)).toEqual({
      verdict: 'fail',
      reasons: ['the migration failed: boom'],
    });
  });

  test('the worst verdict wins', () => {
    expect(worstVerdict([])).toBe('pass');
    expect(worstVerdict(['pass', 'warn'])).toBe('warn');
    expect(worstVerdict(['warn', 'fail', 'pass'])).toBe('fail');
  });
});
