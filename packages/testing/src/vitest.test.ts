import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type {} from '@strata/local-postgres/vitest-global-setup';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { closedPort, databasesStartingWith } from '../test/support/server.js';

// These run test/fixtures/run — three test files on the harness's global setup — in a vitest
// of its own, as an adopting project runs it, and read what it reports.
const packageRoot = path.resolve(import.meta.dirname, '..');
const serverUrl = inject('strataDatabaseUrl');
let scratch: string;

interface Run {
  exitCode: number | null;
  output: string;
}

function runFixture(environment: Record<string, string>, args: string[] = []): Promise<Run> {
  // The child is a fresh vitest: none of this worker's own VITEST_* variables.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) =>
        !name.startsWith('VITEST') && name !== 'DATABASE_URL' && name !== 'STRATA_TEST_DATABASE_URL',
    ),
  );
  const child = spawn(
    path.join(packageRoot, 'node_modules', '.bin', 'vitest'),
    ['run', '--config', 'test/fixtures/run/vitest.config.ts', '--maxWorkers=1', ...args],
    { cwd: packageRoot, env: { ...inherited, NO_COLOR: '1', ...environment } },
  );
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ exitCode, output }));
  });
}

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'strata-testing-run-'));
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe('a test run with the harness', () => {
  test('three files on one worker share one database, cloned before the run and dropped after it', {
    timeout: 120_000,
  }, async () => {
    const record = path.join(scratch, 'databases.txt');
    const report = path.join(scratch, 'report.json');
    const run = await runFixture({ STRATA_TEST_DATABASE_URL: serverUrl, STRATA_FIXTURE_RECORD: record }, [
      '--reporter=json',
      `--outputFile=${report}`,
    ]);
    const lines = (await readFile(record, 'utf8')).trim().split('\n');
    expect(lines.map((line) => line.split(' ')[0]).sort()).toEqual(['leaks', 'one', 'two']);
    const databases = new Set(lines.map((line) => line.split(' ')[1]));
    expect(databases.size).toBe(1);
    const [database] = databases;
    expect(database).toMatch(/^strata_test_[0-9a-f]{8}_w1$/);
    expect(await databasesStartingWith(serverUrl, database as string)).toEqual([]);
    expect(await databasesStartingWith(serverUrl, 'strata_template_run')).toEqual([]);

    // The leak fails the test that leaked, naming it and the line that took the client…
    expect(run.exitCode).toBe(1);
    const results = JSON.parse(await readFile(report, 'utf8')) as {
      testResults: { assertionResults: { title: string; status: string; failureMessages: string[] }[] }[];
    };
    const tests = results.testResults.flatMap((file) => file.assertionResults);
    const leaking = tests.find((t) => t.title === 'leaks a client');
    expect(leaking?.status).toBe('failed');
    expect(leaking?.failureMessages[0]).toMatch(
      /Test "leaks\.fixture\.ts > leaks a client" left 1 pool connection\(s\) checked out; they were closed/,
    );
    expect(leaking?.failureMessages[0]).toMatch(/acquired at:\n\s+at .*leaks\.fixture\.ts:6:/);
    // …and nothing else: the connection was closed, so the next test runs normally.
    expect(tests.filter((t) => t.status !== 'passed').map((t) => t.title)).toEqual(['leaks a client']);
  });

  test('a setup that cannot reach its server fails with one Strata error and nothing else', {
    timeout: 120_000,
  }, async () => {
    const url = `postgres://strata:not-the-password@127.0.0.1:${await closedPort()}/postgres`;
    const run = await runFixture({ STRATA_TEST_DATABASE_URL: url });
    expect(run.exitCode).toBe(1);
    expect(run.output).toMatch(
      /TestSetupError: Strata test setup failed while connecting to the test server: Could not connect to the test server postgres:\/\/strata:\*\*\*@127\.0\.0\.1:\d+\/postgres: Could not reach PostgreSQL \(ECONNREFUSED\)/,
    );
    expect(run.output.match(/TestSetupError/g)).toHaveLength(1);
    expect(run.output).not.toMatch(/No test files found|Acquire connection error|not-the-password/);
  });
});
