import { describe, expect, test } from 'vitest';
import { redactConnectionString, redactSecret } from './redact-connection-string.js';

describe('redactConnectionString', () => {
  test.each([
    ['postgres://app:s3cret@db:5432/app', 'postgres://app:***@db:5432/app'],
    ['postgresql://app:p%40ss@db/app?sslmode=require', 'postgresql://app:***@db/app?sslmode=require'],
    ['postgres://db/app?password=s3cret&user=app', 'postgres://db/app?password=***&user=app'],
    ['postgres://app@db/app', 'postgres://app@db/app'],
    ["host=db user=app password='s3 cret' dbname=app", 'host=db user=app password=*** dbname=app'],
    ['host=db password=s3cret', 'host=db password=***'],
    [
      'postgres://app:s3cret@db1:5432,db2:5433/app?target_session_attrs=read-write',
      'postgres://app:***@db1:5432,db2:5433/app?target_session_attrs=read-write',
    ],
    ['postgres://app:s3@cret@a,b/app?password=x', 'postgres://app:***@a,b/app?password=***'],
    ['postgres://app@[::1]:5432,b/app', 'postgres://app@[::1]:5432,b/app'],
  ])('%s', (input, expected) => {
    expect(redactConnectionString(input)).toBe(expected);
  });
});

test('redactSecret replaces every occurrence of the secret', () => {
  expect(redactSecret('auth failed for s3cret (s3cret)', 's3cret')).toBe('auth failed for *** (***)');
  expect(redactSecret('nothing to hide', undefined)).toBe('nothing to hide');
});
