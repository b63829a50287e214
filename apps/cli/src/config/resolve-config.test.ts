import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InvalidConfigError } from '@strata/errors';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { ConfigFileError } from '../cli-errors.js';
import { type ConfigFlags, resolveConfig } from './resolve-config.js';

let cwd: string;

beforeEach(async () => {
  cwd = await mkdtemp(path.join(os.tmpdir(), 'strata-config-'));
});

afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

const noFlags: ConfigFlags = { values: {}, labels: {} };
const flags = (values: Record<string, unknown>, labels: Record<string, string> = {}): ConfigFlags => ({
  values,
  labels,
});

describe('resolveConfig', () => {
  test('defaults, with folders relative to the working directory', async () => {
    const { config, file } = await resolveConfig({ cwd, env: {}, flags: noFlags });
    expect(file).toBeUndefined();
    expect(config).toEqual({
      migrationsDir: path.join(cwd, 'migrations'),
      seedsDir: path.join(cwd, 'seeds'),
      poolMax: 25,
      pgbouncer: 'auto',
      rehearsal: { rows: 1_000, maxBlockingMs: 1_000, sampleIntervalMs: 10 },
    });
  });

  test('the pool settings doctor checks come from STRATA_POOL_PGBOUNCER and STRATA_POOL_PREPARED_STATEMENTS', async () => {
    const { config } = await resolveConfig({
      cwd,
      env: {
        STRATA_POOL_PGBOUNCER: 'false',
        STRATA_POOL_PREPARED_STATEMENTS: 'true',
        STRATA_MIGRATION_DATABASE_URL: 'postgres://app@db-direct/app',
      },
      flags: noFlags,
    });
    expect(config).toMatchObject({
      pgbouncer: false,
      preparedStatements: true,
      migrationUrl: 'postgres://app@db-direct/app',
    });
  });

  test('config file < environment < flags, key by key; file paths are relative to the file', async () => {
    await mkdir(path.join(cwd, 'config'));
    await writeFile(
      path.join(cwd, 'config', 'strata.config.json'),
      JSON.stringify({
        migrationsDir: '../db/migrations',
        seedsDir: 'seeds',
        poolMax: 10,
        databaseUrl: 'postgres://file@host/app',
        rehearsal: { rows: 50, maxBlockingMs: 200 },
      }),
    );
    const { config, file } = await resolveConfig({
      cwd,
      env: {
        STRATA_CONFIG: 'config/strata.config.json',
        STRATA_POOL_MAX: '12',
        DATABASE_URL: 'postgres://env@host/app',
      },
      flags: flags({ databaseUrl: 'postgres://flag@host/app', rehearsal: { rows: 7 } }),
    });
    expect(file).toBe(path.join(cwd, 'config', 'strata.config.json'));
    expect(config).toMatchObject({
      migrationsDir: path.join(cwd, 'db', 'migrations'),
      seedsDir: path.join(cwd, 'config', 'seeds'),
      poolMax: 12,
      databaseUrl: 'postgres://flag@host/app',
      rehearsal: { rows: 7, maxBlockingMs: 200, sampleIntervalMs: 10 },
    });
  });

  test('a .mjs config may export a function', async () => {
    await writeFile(
      path.join(cwd, 'strata.config.mjs'),
      "export default async () => ({ migrationsDir: 'sql', designFile: 'plans/schema_design.md' });\n",
    );
    const { config } = await resolveConfig({ cwd, env: {}, flags: noFlags });
    expect(config.migrationsDir).toBe(path.join(cwd, 'sql'));
    expect(config.designFile).toBe(path.join(cwd, 'plans', 'schema_design.md'));
  });

  test('every bad setting is named where it was given, without its value', async () => {
    await writeFile(
      path.join(cwd, 'strata.config.json'),
      JSON.stringify({ poolMax: 0, migrationDir: 'x', rehearsal: { rows: -1 } }),
    );
    const error = await resolveConfig({
      cwd,
      env: { DATABASE_URL: 'mysql://root:secret@db/app' },
      flags: flags(
        { rehearsal: { sampleIntervalMs: 5_000 } },
        { 'rehearsal.sampleIntervalMs': '--sample-interval-ms' },
      ),
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidConfigError);
    const issues = (error as InvalidConfigError).issues.map((issue) => issue.path).sort();
    expect(issues).toEqual([
      '--sample-interval-ms',
      'DATABASE_URL',
      'strata.config.json: migrationDir',
      'strata.config.json: poolMax',
      'strata.config.json: rehearsal.rows',
    ]);
    expect((error as Error).message).not.toContain('secret');
  });

  test('config files that cannot be used are ConfigFileErrors naming the file', async () => {
    await expect(
      resolveConfig({ cwd, env: {}, flags: { ...noFlags, config: 'missing.json' } }),
    ).rejects.toThrow(new ConfigFileError(path.join(cwd, 'missing.json'), 'does not exist'));

    await writeFile(path.join(cwd, 'strata.config.json'), '{ "poolMax": ');
    await expect(resolveConfig({ cwd, env: {}, flags: noFlags })).rejects.toThrow(
      /strata\.config\.json: is not valid JSON/,
    );

    await writeFile(path.join(cwd, 'strata.config.js'), 'export default 1;\n');
    await expect(resolveConfig({ cwd, env: {}, flags: noFlags })).rejects.toThrow(
      'strata.config.js and strata.config.json: more than one config file',
    );
    await rm(path.join(cwd, 'strata.config.json'));
    await expect(resolveConfig({ cwd, env: {}, flags: noFlags })).rejects.toThrow(
      /must `export default` a config object/,
    );
  });
});
