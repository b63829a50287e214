import { ConnectionError, mapDatabaseError } from '@strata/errors';
import { PoolTimeoutError } from '@strata/pool';
import { InvalidCursorError, InvalidQueryError, InvalidTextError, NotFoundError } from '@strata/repository';
import { OptimisticLockError, TransactionRetriesExhaustedError } from '@strata/transactions';
import { describe, expect, test } from 'vitest';
import { UnknownReferenceError } from './app-errors.js';
import { errorToProblem } from './error-to-problem.js';

describe('errorToProblem', () => {
  test('maps Strata errors by code', () => {
    expect(errorToProblem(new NotFoundError('User', ['7']))).toMatchObject({
      slug: 'not-found',
      detail: 'User 7 was not found.',
    });
    expect(errorToProblem(new OptimisticLockError('users', '7', 3)).slug).toBe('version-conflict');
    expect(errorToProblem(new UnknownReferenceError('userId', 'user', '9'))).toMatchObject({
      slug: 'unknown-reference',
      errors: [{ in: 'body', field: 'userId' }],
    });
    expect(
      errorToProblem(new PoolTimeoutError(300, { total: 2, idle: 0, active: 2, waiting: 1, max: 2 })),
    ).toMatchObject({ slug: 'overloaded', retryAfterSeconds: 1, serverFault: false });
    expect(errorToProblem(new ConnectionError('refused'))).toMatchObject({
      slug: 'database-unavailable',
      retryAfterSeconds: 5,
    });
    const check = mapDatabaseError(
      Object.assign(new Error('new row violates check constraint "order_items_qty_check"'), {
        code: '23514',
        severity: 'ERROR',
        constraint: 'order_items_qty_check',
        table: 'order_items',
      }),
    );
    expect(errorToProblem(check)).toMatchObject({ slug: 'constraint-violation', serverFault: false });
    const retries = new TransactionRetriesExhaustedError(3, new Error('could not serialize access'));
    expect(errorToProblem(retries)).toMatchObject({ slug: 'try-again', retryAfterSeconds: 1 });
  });

  test('a unique violation names the field only for constraints it knows', () => {
    // What PostgreSQL sends (through pg) for a duplicate email, mapped the way the pool maps it.
    const fromServer = (constraint: string) =>
      mapDatabaseError(
        Object.assign(new Error(`duplicate key value violates unique constraint "${constraint}"`), {
          code: '23505',
          severity: 'ERROR',
          constraint,
          table: 'users',
          detail: 'Key (email)=(ann@example.com) already exists.',
        }),
      );
    const known = errorToProblem(fromServer('users_email_key'));
    expect(known.errors).toEqual([
      { in: 'body', field: 'email', detail: 'is already taken by another user' },
    ]);
    const unknown = errorToProblem(fromServer('users_handle_key'));
    expect(unknown).toEqual({
      slug: 'duplicate',
      detail: 'It conflicts with an existing record.',
      serverFault: false,
    });
    expect(JSON.stringify([known, unknown])).not.toContain('ann@example.com');
  });

  test('hostile input that reached the repository or the database is a 4xx, never a 500', () => {
    expect(errorToProblem(new InvalidCursorError('its value for "id" is not a int8 value'))).toMatchObject({
      slug: 'invalid-cursor',
      errors: [{ in: 'query', field: 'after' }],
    });
    expect(errorToProblem(new InvalidQueryError('where.email', 'a value contains NUL'))).toMatchObject({
      slug: 'bad-request',
      errors: [{ in: 'query', field: 'email' }],
    });
    const text = new InvalidTextError('User', 'name', 'name', { path: [], reason: 'nul' });
    expect(errorToProblem(text)).toMatchObject({
      slug: 'validation-error',
      errors: [{ in: 'body', field: 'name' }],
    });
    const nul = mapDatabaseError(
      Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' }),
    );
    expect(errorToProblem(nul)).toMatchObject({ slug: 'bad-request', serverFault: false });
  });

  test('anything unknown is a 500 whose detail says nothing about the error', () => {
    const error = new Error('syntax error at or near "selec" in SELECT * FROM users WHERE password = $1');
    const answer = errorToProblem(error);
    expect(answer).toEqual({
      slug: 'internal-error',
      detail: 'Something failed on our side. Quote the requestId when you report it.',
      serverFault: true,
    });
    expect(errorToProblem('a string').slug).toBe('internal-error');
    expect(errorToProblem(null).slug).toBe('internal-error');
  });
});
