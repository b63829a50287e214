import { describe, expect, test } from 'vitest';
import { ConnectionError } from './connection-error.js';
import { UniqueViolationError } from './integrity-errors.js';
import { mapConnectError } from './map-connect-error.js';

// The shape `pg` rejects `client.connect()` with. A real server's answers are exercised in
// @strata/testing, whose harness maps its connection failures through here.
const driverError = (fields: Record<string, unknown>) =>
  Object.assign(new Error(String(fields.message)), fields);

describe('mapConnectError', () => {
  test('a rejected login is a ConnectionError whose reason is the SQLSTATE', () => {
    const mapped = mapConnectError(
      driverError({ code: '28P01', message: 'password authentication failed for user "app"' }),
    );
    expect(mapped).toBeInstanceOf(ConnectionError);
    expect((mapped as ConnectionError).reason).toBe('28P01');
    expect((mapped as ConnectionError).message).toBe(
      'PostgreSQL refused the login (SQLSTATE 28P01): password authentication failed for user "app". Check the user and password of the connection URL.',
    );
    expect(
      mapConnectError(driverError({ code: '28000', message: 'no pg_hba.conf entry for host "10.0.0.1"' })),
    ).toBeInstanceOf(ConnectionError);
  });

  test('a database that does not exist is a ConnectionError too', () => {
    const mapped = mapConnectError(driverError({ code: '3D000', message: 'database "shop" does not exist' }));
    expect(mapped).toBeInstanceOf(ConnectionError);
    expect((mapped as ConnectionError).message).toMatch(/database "shop" does not exist\. Create it or fix/);
  });

  test('socket errors map as mapDatabaseError maps them; other errors are unchanged', () => {
    const refused = mapConnectError(driverError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }));
    expect((refused as ConnectionError).reason).toBe('ECONNREFUSED');
    expect(mapConnectError(driverError({ code: '23505', message: 'duplicate key' }))).toBeInstanceOf(
      UniqueViolationError,
    );
    const plain = new TypeError('x');
    expect(mapConnectError(plain)).toBe(plain);
  });
});
