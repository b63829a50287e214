import { ConnectionError, InvalidConfigError, StrataError, UniqueViolationError } from '@strata/errors';
import { expect, test } from 'vitest';
import { describeError } from './error-type.js';

test('a database error is described by its SQLSTATE, its status by its Strata code', () => {
  const error = new UniqueViolationError('UNIQUE_VIOLATION', 'duplicate', {
    sqlState: '23505',
    serverMessage: 'duplicate key value violates unique constraint',
  });
  expect(describeError(error)).toEqual({
    type: '23505',
    statusCode: '23505',
    statusMessage: 'UNIQUE_VIOLATION',
  });
});

test('a raw driver error is mapped first, so pg, Knex and Strata errors read the same', () => {
  const driverError = Object.assign(new Error('insert into "t" ... - deadlock detected'), { code: '40P01' });
  expect(describeError(driverError)).toEqual({
    type: '40P01',
    statusCode: '40P01',
    statusMessage: 'DEADLOCK_DETECTED',
  });
});

test('a connection error carries the SQLSTATE the server sent, or its Strata code', () => {
  expect(describeError(new ConnectionError('terminated', { reason: '57P01' })).type).toBe('57P01');
  const refused = describeError(new ConnectionError('refused', { reason: 'ECONNREFUSED' }));
  expect(refused).toEqual({
    type: 'CONNECTION_ERROR',
    statusCode: undefined,
    statusMessage: 'CONNECTION_ERROR',
  });
  expect(describeError(new ConnectionError('broken pipe', { reason: 'EPIPE' })).statusCode).toBeUndefined();
});

test('other errors are described by their code, then their class, never their message', () => {
  expect(describeError(new StrataError('POOL_TIMEOUT', 'secret value')).type).toBe('POOL_TIMEOUT');
  expect(describeError(new InvalidConfigError('pool', [])).type).toBe('INVALID_CONFIG');
  expect(describeError(new TypeError('secret value'))).toEqual({
    type: 'TypeError',
    statusCode: undefined,
    statusMessage: 'TypeError',
  });
  expect(describeError('a string')).toEqual({
    type: '_OTHER',
    statusCode: undefined,
    statusMessage: '_OTHER',
  });
});
