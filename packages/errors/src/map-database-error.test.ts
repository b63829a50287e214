import { describe, expect, test } from 'vitest';
import { ConnectionError } from './connection-error.js';
import { ConnectionRejectedError } from './connection-rejected-error.js';
import { DataExceptionError, UnsupportedCharacterError } from './data-errors.js';
import { DatabaseError } from './database-error.js';
import { NotNullViolationError, UniqueViolationError } from './integrity-errors.js';
import { mapConnectError, mapDatabaseError } from './map-database-error.js';
import {
  ReadOnlyTransactionError,
  ReadWriteDuringRecoveryError,
  RecoveryConflictError,
} from './standby-errors.js';
import { StrataError } from './strata-error.js';
import { SerializationFailureError, StatementTimeoutError } from './transaction-errors.js';

// These check the mapping table on the shape `pg` reports. The same mapping is exercised
// against errors raised by a real server (through pg, Knex and Objection) in @strata/pool.
const driverError = (fields: Record<string, unknown>) =>
  Object.assign(new Error(String(fields.message)), fields);

describe('mapDatabaseError', () => {
  test('a unique violation carries constraint, table and the key columns, and keeps values out of the message', () => {
    const mapped = mapDatabaseError(
      driverError({
        code: '23505',
        message:
          'insert into "users" ("email") values ($1) - duplicate key value violates unique constraint "users_email_key"',
        detail: 'Key (email)=(ann@example.com) already exists.',
        table: 'users',
        constraint: 'users_email_key',
      }),
    ) as UniqueViolationError;
    expect(mapped).toBeInstanceOf(UniqueViolationError);
    expect(mapped.code).toBe('UNIQUE_VIOLATION');
    expect(mapped.constraint).toBe('users_email_key');
    expect(mapped.columns).toEqual(['email']);
    expect(mapped.serverMessage).toBe('duplicate key value violates unique constraint "users_email_key"');
    expect(mapped.message).not.toMatch(/insert into|ann@example/);
  });

  test('not-null names the column PostgreSQL reported', () => {
    const mapped = mapDatabaseError(
      driverError({ code: '23502', message: 'null value', table: 't', column: 'name' }),
    );
    expect(mapped).toBeInstanceOf(NotNullViolationError);
    expect((mapped as NotNullViolationError).columns).toEqual(['name']);
  });

  test('57014 from statement_timeout is a StatementTimeoutError', () => {
    const mapped = mapDatabaseError(
      driverError({ code: '57014', message: 'canceling statement due to statement timeout' }),
    );
    expect(mapped).toBeInstanceOf(StatementTimeoutError);
  });

  test('retryable errors say so', () => {
    const mapped = mapDatabaseError(
      driverError({ code: '40001', message: 'could not serialize access' }),
    ) as DatabaseError;
    expect(mapped).toBeInstanceOf(SerializationFailureError);
    expect(mapped.retryable).toBe(true);
  });

  // A real standby answers with these (proven against streaming replicas in @strata/pool).
  describe('on a standby', () => {
    test('25006 is a ReadOnlyTransactionError, not retryable', () => {
      const mapped = mapDatabaseError(
        driverError({ code: '25006', message: 'cannot execute INSERT in a read-only transaction' }),
      ) as DatabaseError;
      expect(mapped).toBeInstanceOf(ReadOnlyTransactionError);
      expect(mapped.code).toBe('READ_ONLY_TRANSACTION');
      expect(mapped.retryable).toBe(false);
    });

    test('0A000 "read-write mode during recovery" is a ReadWriteDuringRecoveryError; other 0A000s stay plain', () => {
      const mapped = mapDatabaseError(
        driverError({ code: '0A000', message: 'cannot set transaction read-write mode during recovery' }),
      );
      expect(mapped).toBeInstanceOf(ReadWriteDuringRecoveryError);
      expect(mapped).toBeInstanceOf(ReadOnlyTransactionError);
      expect((mapped as DatabaseError).code).toBe('READ_WRITE_DURING_RECOVERY');
      const other = mapDatabaseError(
        driverError({ code: '0A000', message: 'cached plan must not change result type' }),
      );
      expect(other).not.toBeInstanceOf(ReadOnlyTransactionError);
      expect((other as DatabaseError).code).toBe('DATABASE_ERROR');
    });

    test('a conflict with recovery is a retryable RecoveryConflictError (a kind of serialization failure)', () => {
      for (const code of ['40001', '40P01']) {
        const mapped = mapDatabaseError(
          driverError({ code, message: 'canceling statement due to conflict with recovery' }),
        ) as DatabaseError;
        expect(mapped).toBeInstanceOf(RecoveryConflictError);
        expect(mapped).toBeInstanceOf(SerializationFailureError);
        expect(mapped.code).toBe('RECOVERY_CONFLICT');
        expect(mapped.retryable).toBe(true);
      }
      expect(
        mapDatabaseError(driverError({ code: '40001', message: 'could not serialize access' })),
      ).not.toBeInstanceOf(RecoveryConflictError);
    });
  });

  test('Objection wrappers are unwrapped through nativeError', () => {
    const native = driverError({ code: '23505', message: 'duplicate key', constraint: 'c' });
    expect(mapDatabaseError({ name: 'UniqueViolationError', nativeError: native })).toBeInstanceOf(
      UniqueViolationError,
    );
  });

  test('socket errors and server shutdowns are ConnectionErrors', () => {
    expect(
      mapDatabaseError(driverError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' })),
    ).toBeInstanceOf(ConnectionError);
    expect(
      mapDatabaseError(driverError({ code: '57P01', message: 'terminating connection' })),
    ).toBeInstanceOf(ConnectionError);
  });

  test('a NUL or unconvertible character (22021, 22P05) is an UnsupportedCharacterError', () => {
    for (const code of ['22021', '22P05']) {
      const mapped = mapDatabaseError(
        driverError({ code, message: 'invalid byte sequence for encoding "UTF8": 0x00' }),
      ) as DatabaseError;
      expect(mapped).toBeInstanceOf(UnsupportedCharacterError);
      expect(mapped).toBeInstanceOf(DataExceptionError);
      expect(mapped).toMatchObject({ code: 'UNSUPPORTED_CHARACTER', sqlState: code });
    }
  });

  test('other data exceptions (class 22) are DataExceptionErrors whose message does not quote the value', () => {
    const mapped = mapDatabaseError(
      driverError({ code: '22P02', message: 'invalid input syntax for type bigint: "secret-ish"' }),
    ) as DatabaseError;
    expect(mapped).toBeInstanceOf(DataExceptionError);
    expect(mapped).toMatchObject({ code: 'DATA_EXCEPTION', sqlState: '22P02' });
    expect(mapped.message).not.toContain('secret-ish');
    expect(mapped.serverMessage).toContain('secret-ish');
  });

  test('unknown SQLSTATEs become a plain DatabaseError; other values pass through untouched', () => {
    const mapped = mapDatabaseError(
      driverError({ code: '42P01', message: 'relation "nope" does not exist' }),
    );
    expect(mapped).toBeInstanceOf(DatabaseError);
    expect((mapped as DatabaseError).sqlState).toBe('42P01');
    const plain = new TypeError('x');
    expect(mapDatabaseError(plain)).toBe(plain);
    const strata = new StrataError('X', 'y');
    expect(mapDatabaseError(strata)).toBe(strata);
  });
});

// The messages are the ones PostgreSQL 16 and PgBouncer 1.18 send; the pool's tests meet
// them for real (packages/pool/src/pgbouncer.test.ts).
describe('mapConnectError', () => {
  test.each([
    ['28P01', 'password authentication failed for user "app"', 'authentication-failed'],
    ['28000', 'role "nobody" does not exist', 'authentication-failed'],
    ['3D000', 'database "nosuchdb" does not exist', 'unknown-database'],
    ['08P01', 'SASL authentication failed', 'authentication-failed'],
    ['08P01', 'database "nosuchdb" does not exist', 'unknown-database'],
    ['08P01', 'no such database: nosuchdb', 'unknown-database'],
    ['08P01', 'unsupported startup parameter: statement_timeout', 'unsupported-startup-parameter'],
  ])('%s "%s" is a permanent refusal: %s', (code, message, reason) => {
    const mapped = mapConnectError(driverError({ code, message })) as ConnectionRejectedError;
    expect(mapped).toBeInstanceOf(ConnectionRejectedError);
    expect(mapped).toBeInstanceOf(DatabaseError);
    expect(mapped).toMatchObject({ code: 'CONNECTION_REJECTED', reason, sqlState: code });
    expect(mapped.message).toContain(message);
  });

  test('an unsupported startup parameter is named, with what to do about it', () => {
    const mapped = mapConnectError(
      driverError({ code: '08P01', message: 'unsupported startup parameter: lock_timeout' }),
    ) as ConnectionRejectedError;
    expect(mapped.parameter).toBe('lock_timeout');
    expect(mapped.message).toMatch(/refused the startup parameter "lock_timeout".*ALTER ROLE/);
  });

  test('a server that is starting up or unreachable is still a (retryable) ConnectionError', () => {
    expect(
      mapConnectError(driverError({ code: '57P03', message: 'the database system is starting up' })),
    ).toBeInstanceOf(ConnectionError);
    expect(
      mapConnectError(driverError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' })),
    ).toBeInstanceOf(ConnectionError);
    expect(
      mapConnectError(driverError({ code: '08P01', message: 'pgbouncer cannot connect to server' })),
    ).toBeInstanceOf(ConnectionError);
  });

  test('outside connecting, 3D000 stays an ordinary DatabaseError', () => {
    const mapped = mapDatabaseError(driverError({ code: '3D000', message: 'database "x" does not exist' }));
    expect(mapped).not.toBeInstanceOf(ConnectionRejectedError);
    expect(mapped).toBeInstanceOf(DatabaseError);
  });
});
