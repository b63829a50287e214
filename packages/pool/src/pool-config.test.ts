import { InvalidConfigError } from '@strata/errors';
import { describe, expect, expectTypeOf, test } from 'vitest';
import { resolvePoolConfig } from './pool-config.js';
import type { PoolConfigInput } from './pool-config-input.js';
import type { PoolConfigSchemaInput } from './pool-config-schema.js';

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
  test('the published PoolConfigInput is exactly what the schema accepts (checked by tsc)', () => {
    expectTypeOf<PoolConfigInput>().toEqualTypeOf<PoolConfigSchemaInput>();
  });

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
      'acquireTimeout',
      'applicationName',
      'connectionString',
      'max',
      'maxConnections',
      'min',
    ]);
    expect(issues.find((issue) => issue.path === 'connectionString')?.message).toMatch(/postgres:\/\//);
    expect(issues.find((issue) => issue.path === 'maxConnections')?.message).toBe(
      'is not a pool setting (check its spelling)',
    );
  });

  test('unknown fields are named one by one, nested ones with their path or their entry', () => {
    expect(
      issuesOf(() =>
        resolvePoolConfig({
          connectionString: url,
          // @ts-expect-error: unknown keys are reported
          failoverBackoff: { baseDelay: 10, base: 5 },
          // @ts-expect-error: unknown keys are reported
          hosts: [{ host: 'a', extra: 1 }],
        }),
      ),
    ).toEqual([
      { path: 'hosts.0', message: 'must be "host", "host:port" or { host, port }' },
      { path: 'failoverBackoff.base', message: 'is not a pool setting (check its spelling)' },
    ]);
  });

  test('fields with a few allowed values say which', () => {
    const issues = issuesOf(() =>
      resolvePoolConfig({
        connectionString: url,
        // @ts-expect-error: not a mode PgBouncer has for the pool
        pgbouncer: 'statement',
        // @ts-expect-error: TLS is a boolean or options
        ssl: 'require',
        // @ts-expect-error: not a target_session_attrs value
        targetSessionAttrs: 'primary-only',
      }),
    );
    expect(issues).toEqual([
      { path: 'ssl', message: expect.stringMatching(/^must be true, false or TLS options/) },
      {
        path: 'targetSessionAttrs',
        message: 'must be one of any, read-write, primary, standby, prefer-standby',
      },
      { path: 'pgbouncer', message: "must be 'auto', 'transaction', 'session' or false" },
    ]);
  });

  test('a value of the wrong type is never quoted back: it may be a secret', () => {
    const error = (() => {
      try {
        // @ts-expect-error: a password given as a number, a TLS key as a number
        resolvePoolConfig({ connectionString: url, password: 918273645, ssl: { key: 564738291 } });
      } catch (caught) {
        return caught as InvalidConfigError;
      }
      throw new Error('expected InvalidConfigError');
    })();
    expect(error.issues).toEqual([
      { path: 'password', message: 'must be a string' },
      { path: 'ssl', message: expect.stringMatching(/^must be true, false or TLS options/) },
    ]);
    expect(error.message).not.toMatch(/918273645|564738291/);
  });

  test('a config that is not an object is one clear error, not a TypeError', () => {
    for (const config of [null, 'postgres://app@db/orders', ['max', 5]]) {
      // @ts-expect-error: what a JavaScript caller may pass
      expect(issuesOf(() => resolvePoolConfig(config))).toEqual([
        { path: '', message: 'must be an object of pool settings' },
      ]);
    }
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

describe('several hosts and read replicas', () => {
  const multi = 'postgres://app:s3cret-pw@db1:5433,db2:5434/orders?target_session_attrs=primary';

  test('a libpq multi-host URL is accepted: every host, in order, and its target_session_attrs', () => {
    const { settings, clientConfig } = resolvePoolConfig({ connectionString: multi });
    expect(settings).toMatchObject({
      host: 'db1',
      port: 5433,
      database: 'orders',
      user: 'app',
      hosts: [
        { host: 'db1', port: 5433 },
        { host: 'db2', port: 5434 },
      ],
      targetSessionAttrs: 'primary',
    });
    expect(settings.connectionString).toBe(
      'postgres://app:***@db1:5433,db2:5434/orders?target_session_attrs=primary',
    );
    expect(clientConfig).toMatchObject({
      host: 'db1',
      port: 5433,
      password: 's3cret-pw',
      database: 'orders',
    });
  });

  test('target_session_attrs defaults to read-write with several hosts, any with one', () => {
    expect(resolvePoolConfig({ connectionString: 'postgres://a,b/db' }).settings.targetSessionAttrs).toBe(
      'read-write',
    );
    expect(resolvePoolConfig({ connectionString: url }).settings).toMatchObject({
      targetSessionAttrs: 'any',
      hosts: [{ host: 'db.internal', port: 6543 }],
    });
  });

  test('hosts wins over the URL; targetSessionAttrs over its parameter', () => {
    const { settings } = resolvePoolConfig({
      connectionString: multi,
      hosts: ['x:1', { host: 'y' }, '[::1]:7'],
      targetSessionAttrs: 'prefer-standby',
    });
    expect(settings.hosts).toEqual([
      { host: 'x', port: 1 },
      { host: 'y', port: 5432 },
      { host: '::1', port: 7 },
    ]);
    expect(settings.targetSessionAttrs).toBe('prefer-standby');
  });

  test('an unknown target_session_attrs and malformed hosts are reported by field', () => {
    expect(
      issuesOf(() =>
        resolvePoolConfig({
          connectionString: 'postgres://app:s3cret-pw@a,b/db?target_session_attrs=fastest',
          hosts: ['a:notaport'],
        }),
      ),
    ).toEqual([
      {
        path: 'connectionString',
        message: expect.stringMatching(/target_session_attrs=fastest; use one of any/),
      },
      { path: 'hosts.0', message: expect.stringMatching(/host:port/) },
    ]);
    expect(issuesOf(() => resolvePoolConfig({ connectionString: 'postgres://a,,b/db' }))).toEqual([
      { path: 'connectionString', message: expect.stringMatching(/not a valid URL/) },
    ]);
  });

  test('replicas take the login and database of the primary unless their URL names them; no password shows', () => {
    const { settings, replicas } = resolvePoolConfig({
      connectionString: url,
      replicas: ['postgres://replica1:5432', 'postgres://reader:r3ad-pw@replica2/analytics'],
      maxReplicaLag: 250,
    });
    expect(settings.replicas).toEqual([
      { connectionString: 'postgres://replica1:5432', host: 'replica1', port: 5432, database: 'orders' },
      {
        connectionString: 'postgres://reader:***@replica2/analytics',
        host: 'replica2',
        port: 5432,
        database: 'analytics',
      },
    ]);
    expect(settings.maxReplicaLag).toBe(250);
    expect(replicas.map((replica) => [replica.clientConfig.user, replica.clientConfig.password])).toEqual([
      ['app', 's3cret-pw'],
      ['reader', 'r3ad-pw'],
    ]);
    expect(JSON.stringify(settings)).not.toMatch(/s3cret-pw|r3ad-pw/);
  });

  test('DATABASE_REPLICA_URLS is a comma-separated list; commas inside a URL do not split it', () => {
    const { settings } = resolvePoolConfig(
      {},
      {
        DATABASE_URL: url,
        DATABASE_REPLICA_URLS: 'postgres://r1:5432/orders, postgresql://u:p@r2:5433/orders',
        STRATA_POOL_MAX_REPLICA_LAG_MS: '2000',
      },
    );
    expect(settings.replicas.map((replica) => `${replica.host}:${replica.port}`)).toEqual([
      'r1:5432',
      'r2:5433',
    ]);
    expect(settings.maxReplicaLag).toBe(2_000);
    expect(
      issuesOf(() =>
        resolvePoolConfig(
          {},
          { DATABASE_URL: url, DATABASE_REPLICA_URLS: 'postgres://u:s3cret-pw@r1:99999/x' },
        ),
      ),
    ).toEqual([{ path: 'DATABASE_REPLICA_URLS (replicas.0)', message: expect.stringMatching(/valid URL/) }]);
  });
});
