import { InvalidConfigError } from '@strata/errors';
import { describe, expect, test } from 'vitest';
import { resolvePoolConfig } from './pool-config.js';

const url = 'postgres://app:s3cret-pw@db.internal:6543/orders';

function issuesOf(run: () => unknown): { path: string; message: string }[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect((error as Error).message).not.toContain('s3cret-pw');
    return [...(error as InvalidConfigError).issues];
  }
  throw new Error('expected InvalidConfigError');
}

describe('resolvePoolConfig', () => {
  test('defaults follow the reference pattern', () => {
    const { settings } = resolvePoolConfig({ connectionString: url });
    expect(settings).toMatchObject({
      max: 25,
      min: 5,
      maxLifetime: 30 * 60_000,
      idleTimeout: 5 * 60_000,
      healthCheckPeriod: 30_000,
      preparedStatements: undefined,
      pgbouncer: 'auto',
      applicationName: 'strata',
    });
  });

  test('exposes the target host and port, and never the password', () => {
    const { settings, clientConfig } = resolvePoolConfig({ connectionString: url });
    expect(settings).toMatchObject({ host: 'db.internal', port: 6543, database: 'orders', user: 'app' });
    expect(settings.connectionString).toBe('postgres://app:***@db.internal:6543/orders');
    expect(JSON.stringify(settings)).not.toContain('s3cret-pw');
    expect(clientConfig.password).toBe('s3cret-pw');
  });

  test('telemetry is on, and the pool is named after its target, unless told otherwise', () => {
    expect(resolvePoolConfig({ connectionString: url }).settings).toMatchObject({
      telemetry: true,
      poolName: 'db.internal:6543/orders',
    });
    const named = resolvePoolConfig(
      { connectionString: url },
      { STRATA_POOL_TELEMETRY: 'off', STRATA_POOL_NAME: 'primary' },
    );
    expect(named.settings).toMatchObject({ telemetry: false, poolName: 'primary' });
  });

  test('discrete fields win over the URL', () => {
    const { settings, clientConfig } = resolvePoolConfig({
      connectionString: url,
      host: 'replica',
      port: 5432,
    });
    expect(settings).toMatchObject({ host: 'replica', port: 5432, database: 'orders' });
    expect(clientConfig).toMatchObject({ host: 'replica', port: 5432 });
  });

  test('session settings become startup parameters', () => {
    const { clientConfig } = resolvePoolConfig({
      connectionString: url,
      applicationName: 'billing',
      statementTimeout: 5_000,
      lockTimeout: 1_000,
      idleInTransactionSessionTimeout: 10_000,
    });
    expect(clientConfig).toMatchObject({
      application_name: 'billing',
      statement_timeout: 5_000,
      lock_timeout: 1_000,
      idle_in_transaction_session_timeout: 10_000,
    });
  });

  test('min defaults to max when max is below 5', () => {
    expect(resolvePoolConfig({ connectionString: url, max: 2 }).settings.min).toBe(2);
  });

  test('invalid config throws one error naming every bad field and the rule', () => {
    const issues = issuesOf(() =>
      resolvePoolConfig({
        connectionString: 'mysql://app:s3cret-pw@db/orders',
        max: 0,
        min: -1,
        acquireTimeout: 1.5,
        applicationName: 'x'.repeat(64),
        // @ts-expect-error: an unknown key is reported, not silently ignored
        maxConnections: 10,
      }),
    );
    expect(issues.map((issue) => issue.path).sort()).toEqual([
      '',
      'acquireTimeout',
      'applicationName',
      'connectionString',
      'max',
      'min',
    ]);
    expect(issues.find((issue) => issue.path === 'connectionString')?.message).toMatch(/postgres:\/\//);
    expect(issues.find((issue) => issue.path === '')?.message).toMatch(/maxConnections/);
  });

  test('a malformed URL is reported without echoing it', () => {
    expect(
      issuesOf(() => resolvePoolConfig({ connectionString: 'postgres://app:s3cret-pw@db:99999/orders' })),
    ).toEqual([{ path: 'connectionString', message: expect.stringMatching(/not a valid URL/) }]);
  });

  test('min above max is reported on min', () => {
    expect(issuesOf(() => resolvePoolConfig({ connectionString: url, max: 3, min: 4 }))).toEqual([
      { path: 'min', message: 'must not exceed max (3)' },
    ]);
  });

  test('a connection target is required', () => {
    expect(issuesOf(() => resolvePoolConfig({}))).toEqual([
      { path: 'connectionString', message: expect.stringMatching(/DATABASE_URL/) },
    ]);
  });
});

describe('the environment', () => {
  test('DATABASE_URL and STRATA_POOL_* configure the pool; explicit config wins', () => {
    const { settings } = resolvePoolConfig(
      { max: 12 },
      {
        DATABASE_URL: url,
        STRATA_POOL_MAX: '40',
        STRATA_POOL_MIN: '2',
        STRATA_POOL_STATEMENT_TIMEOUT_MS: '2500',
        STRATA_POOL_PREPARED_STATEMENTS: 'false',
        STRATA_POOL_APPLICATION_NAME: 'from-env',
      },
    );
    expect(settings).toMatchObject({
      host: 'db.internal',
      max: 12,
      min: 2,
      statementTimeout: 2_500,
      preparedStatements: false,
      applicationName: 'from-env',
    });
  });

  test('STRATA_POOL_PGBOUNCER names the pool mode, or false for none', () => {
    const mode = (value: string) =>
      resolvePoolConfig({}, { DATABASE_URL: url, STRATA_POOL_PGBOUNCER: value }).settings.pgbouncer;
    expect(mode('transaction')).toBe('transaction');
    expect(mode('Session')).toBe('session');
    expect(mode('false')).toBe(false);
    expect(mode('none')).toBe(false);
    expect(issuesOf(() => mode('statement'))).toEqual([
      { path: 'STRATA_POOL_PGBOUNCER (pgbouncer)', message: expect.any(String) },
    ]);
  });

  test('bad environment values are reported by variable name', () => {
    const issues = issuesOf(() =>
      resolvePoolConfig(
        {},
        {
          DATABASE_URL: url,
          STRATA_POOL_MAX: 'lots',
          STRATA_POOL_PREPARED_STATEMENTS: 'maybe',
          STRATA_POOL_MIN: '-3',
        },
      ),
    );
    expect(issues).toEqual([
      { path: 'STRATA_POOL_MAX', message: 'must be a whole number' },
      { path: 'STRATA_POOL_PREPARED_STATEMENTS', message: 'must be true or false' },
      { path: 'STRATA_POOL_MIN (min)', message: 'must be 0 or more' },
    ]);
  });
});
