import path from 'node:path';
import { InvalidConfigError } from '@strata/errors';
import { describe, expect, test } from 'vitest';
import { loadAppConfig, PACKAGE_ROOT } from './app-config.js';

describe('loadAppConfig', () => {
  test('defaults: loopback, port 3000, embedded data under apps/api/.strata, migrations on', () => {
    expect(loadAppConfig({})).toEqual({
      host: '127.0.0.1',
      port: 3000,
      dataDir: path.join(PACKAGE_ROOT, '.strata', 'postgres'),
      migrate: true,
      logLevel: 'info',
      logFormat: 'auto',
      shutdownTimeoutMs: 10_000,
    });
  });

  test('reads the environment; empty variables count as unset; overrides win', () => {
    const config = loadAppConfig(
      {
        HOST: '0.0.0.0',
        PORT: '8080',
        DATABASE_URL: 'postgres://app:pw@db:5432/shop',
        STRATA_API_MIGRATE: 'false',
        LOG_LEVEL: '',
        STRATA_API_CURSOR_SECRET: 'a-secret-of-enough-length',
      },
      { port: 0 },
    );
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 0,
      databaseUrl: 'postgres://app:pw@db:5432/shop',
      migrate: false,
      logLevel: 'info',
      cursorSecret: 'a-secret-of-enough-length',
    });
  });

  test('names every bad variable with its rule, and none of their values', () => {
    let error: unknown;
    try {
      loadAppConfig({
        PORT: '70000',
        DATABASE_URL: 'mysql://root:Hunter2-Secret@db/x',
        STRATA_API_MIGRATE: 'sometimes',
        STRATA_API_CURSOR_SECRET: 'short',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidConfigError);
    const { issues, message } = error as InvalidConfigError;
    expect(issues.map((issue) => issue.path)).toEqual([
      'PORT (port)',
      'DATABASE_URL (databaseUrl)',
      'STRATA_API_MIGRATE (migrate)',
      'STRATA_API_CURSOR_SECRET (cursorSecret)',
    ]);
    expect(message).toMatch(/PORT \(port\): must be 0 to 65535/);
    expect(message).not.toMatch(/Hunter2|70000|sometimes|short/);
  });

  test('NODE_ENV=production requires STRATA_API_CURSOR_SECRET, naming it', () => {
    expect(() => loadAppConfig({ NODE_ENV: 'production' })).toThrow(
      /STRATA_API_CURSOR_SECRET \(cursorSecret\): is required when NODE_ENV=production/,
    );
    expect(
      loadAppConfig({ NODE_ENV: 'production', STRATA_API_CURSOR_SECRET: 'a-secret-of-enough-length' }),
    ).toMatchObject({ nodeEnv: 'production', cursorSecret: 'a-secret-of-enough-length' });
    expect(loadAppConfig({ NODE_ENV: 'development' }).cursorSecret).toBeUndefined();
  });
});
