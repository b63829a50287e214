import { describe, expect, test } from 'vitest';
import { formatHost, parseConnectionUrl } from './multi-host-url.js';

describe('parseConnectionUrl', () => {
  test('reads every host of a libpq multi-host URL, in order, and target_session_attrs', () => {
    expect(
      parseConnectionUrl(
        'postgres://app:s3cret@db1:5433,db2,[::1]:6000/orders?target_session_attrs=read-write',
      ),
    ).toEqual({
      hosts: [
        { host: 'db1', port: 5433 },
        { host: 'db2', port: 5432 },
        { host: '::1', port: 6000 },
      ],
      singleHostUrl: 'postgres://app:s3cret@db1:5433/orders?target_session_attrs=read-write',
      targetSessionAttrs: 'read-write',
    });
  });

  test('a single host reads as before; no host means localhost', () => {
    expect(parseConnectionUrl('postgresql://db/app')).toMatchObject({
      hosts: [{ host: 'db', port: 5432 }],
      targetSessionAttrs: undefined,
    });
    expect(parseConnectionUrl('postgres:///app')).toMatchObject({
      hosts: [{ host: 'localhost', port: 5432 }],
    });
  });

  test('a password with @ and a %-encoded socket directory', () => {
    expect(parseConnectionUrl('postgres://u:p@ss@%2Fvar%2Frun%2Fpostgresql,b/app')).toMatchObject({
      hosts: [
        { host: '/var/run/postgresql', port: 5432 },
        { host: 'b', port: 5432 },
      ],
    });
  });

  test.each([
    ['postgres://a:1,,b/db', 'has a host without a name (host 2 of 3)'],
    ['postgres://a:x,b/db', 'has an invalid port "x" (host 1 of 2)'],
    ['postgres://a,b:99999/db', 'has a port out of range (99999) (host 2 of 2)'],
    ['mysql://a/db', 'must be a postgres:// or postgresql:// URL'],
  ])('%s is refused: %s', (url, problem) => {
    expect(parseConnectionUrl(url)).toEqual({ problem });
  });

  test('formatHost brackets IPv6 addresses', () => {
    expect(formatHost({ host: '::1', port: 5432 })).toBe('[::1]:5432');
    expect(formatHost({ host: 'db', port: 5432 })).toBe('db:5432');
  });
});
