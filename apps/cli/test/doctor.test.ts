import { mkdir } from 'node:fs/promises';
import { databaseUrl, startTestPgBouncer } from '@strata/local-postgres/test-database';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTempFolder, createTestDatabase, strata, type TestDatabase } from './strata-harness.js';

// A real PgBouncer in transaction mode; skipped without PgBouncer unless CI=true.
const bouncer = await startTestPgBouncer({ poolMode: 'transaction' });

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('doctor');
  // Sessions in this database get a statement timeout; the other timeouts stay off.
  await db.query(`alter database ${db.name} set statement_timeout = '30s'`);
});

afterAll(async () => {
  await db?.drop();
  await bouncer?.stop();
});

interface DoctorDocument {
  ok: boolean;
  server: { version: string; versionNum: number; database: string };
  connections: { max: number; available: number; inUse: number };
  pool: { max: number; instances: number; total: number };
  settings: { statementTimeoutMs: number; lockTimeoutMs: number; idleInTransactionSessionTimeoutMs: number };
  pgbouncer: { detected: boolean | null; pooling: string | null; version: string | null; evidence: string[] };
  problems: { id: string; severity: string; message: string }[];
}

describe('strata doctor', () => {
  test('reports the server, connections against the pool, timeouts and PgBouncer; warnings alone exit 0', async () => {
    const run = await strata(['doctor', '--json'], { env: { DATABASE_URL: db.url } });
    expect(run.code).toBe(0);
    const report = run.json<DoctorDocument>();
    const facts = (
      await db.query<{ version: string; max: number }>(
        "select current_setting('server_version') as version, current_setting('max_connections')::int as max",
      )
    )[0];
    expect(report.ok).toBe(true);
    expect(report.server).toMatchObject({ version: facts?.version, database: db.name });
    expect(report.connections.max).toBe(facts?.max);
    expect(report.connections.available).toBeLessThan(report.connections.max);
    expect(report.pool).toEqual({ max: 25, instances: 1, total: 25 });
    expect(report.settings).toEqual({
      statementTimeoutMs: 30_000,
      lockTimeoutMs: 0,
      idleInTransactionSessionTimeoutMs: 0,
    });
    expect(report.pgbouncer).toMatchObject({ detected: false, pooling: 'session-or-none' });
    expect(report.pgbouncer.evidence[0]).toContain('database "pgbouncer" does not exist');
    expect(report.problems.map((problem) => [problem.id, problem.severity])).toEqual([
      ['no-lock-timeout', 'warning'],
      ['no-idle-in-transaction-timeout', 'warning'],
    ]);
  });

  test('a pool larger than the connections the server allows is an error (exit 1), from the flag or STRATA_POOL_MAX', async () => {
    const first = (
      await strata(['doctor', '--json'], { env: { DATABASE_URL: db.url } })
    ).json<DoctorDocument>();
    const tooMany = String(first.connections.available + 1);
    const fromEnv = await strata(['doctor', '--json'], {
      env: { DATABASE_URL: db.url, STRATA_POOL_MAX: tooMany },
    });
    expect(fromEnv.code).toBe(1);
    expect(fromEnv.json<DoctorDocument>()).toMatchObject({
      ok: false,
      pool: { max: Number(tooMany) },
      problems: [{ id: 'pool-exceeds-connections', severity: 'error' }, {}, {}],
    });

    // Several instances, each with its own pool, add up; the flag wins over the environment.
    const instances = await strata(
      ['doctor', '--pool-max', '10', '--instances', String(first.connections.available)],
      {
        env: { DATABASE_URL: db.url, STRATA_POOL_MAX: '1' },
      },
    );
    expect(instances.code).toBe(1);
    expect(instances.stdout).toContain(`10 × ${first.connections.available} instances`);
    expect(instances.stdout).toContain('error pool-exceeds-connections');
    expect(instances.stdout).toMatch(/PgBouncer in front\s+no/);
    expect(instances.stdout).toMatch(/statement_timeout\s+30\.0 s/);
  });

  test('an unreachable server fails with exit 1, naming it without the password', async () => {
    const run = await strata(['doctor'], { env: { DATABASE_URL: 'postgres://ops:pw-9f3k@127.0.0.1:1/app' } });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Could not reach PostgreSQL (ECONNREFUSED)');
    expect(run.stderr).toContain('postgres://ops:***@127.0.0.1:1/app');
    expect(run.stderr).not.toContain('pw-9f3k');
  });
});

describe.skipIf(bouncer === undefined)('strata doctor behind PgBouncer in transaction mode', () => {
  const through = () => databaseUrl(bouncer?.url as string, db.name);
  const below121 = () => {
    const [major = 0, minor = 0] = (bouncer?.version ?? '0.0').split('.').map(Number);
    return major === 1 && minor < 21;
  };

  test('with default pool settings it exits 0: the pool adapts; advice is per role and a direct migration URL', async () => {
    const run = await strata(['doctor', '--json'], { env: { DATABASE_URL: through() } });
    expect(run.code).toBe(0);
    const report = run.json<DoctorDocument>();
    expect(report.pgbouncer).toMatchObject({ detected: true, pooling: 'transaction' });
    expect(report.problems.map((problem) => [problem.id, problem.severity])).toEqual([
      ['no-lock-timeout', 'warning'],
      ['no-idle-in-transaction-timeout', 'warning'],
      ['pgbouncer-transaction-pooling', 'warning'],
    ]);
    const lockAdvice = report.problems[0]?.message ?? '';
    expect(lockAdvice).toContain(`ALTER ROLE "postgres" SET lock_timeout`);
    expect(lockAdvice).not.toMatch(/or in the pool/);
    expect(report.problems[2]?.message).toContain('STRATA_MIGRATION_DATABASE_URL');
  });

  test('prepared statements on PgBouncer before 1.21 are an error (exit 1)', async () => {
    const run = await strata(['doctor', '--json'], {
      env: {
        DATABASE_URL: through(),
        STRATA_POOL_PREPARED_STATEMENTS: 'true',
        STRATA_MIGRATION_DATABASE_URL: db.url,
      },
    });
    const problems = run.json<DoctorDocument>().problems.map((problem) => [problem.id, problem.severity]);
    if (below121()) {
      expect(run.code).toBe(1);
      expect(problems).toContainEqual(['pgbouncer-prepared-statements', 'error']);
    } else {
      expect(problems.map(([id]) => id)).toContain('pgbouncer-prepared-statements');
    }
  });

  test('a pool told there is no PgBouncer is an error (exit 1)', async () => {
    const run = await strata(['doctor'], {
      env: { DATABASE_URL: through(), STRATA_POOL_PGBOUNCER: 'false' },
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('error pgbouncer-setting-mismatch');
  });

  test('migrate commands run on the migration URL when one is given', async () => {
    const folder = await createTempFolder();
    try {
      await mkdir(`${folder.path}/migrations`);
      const run = await strata(['migrate', 'status', '--dir', `${folder.path}/migrations`, '--json'], {
        env: {
          DATABASE_URL: 'postgres://nobody:pw@127.0.0.1:1/nowhere',
          STRATA_MIGRATION_DATABASE_URL: db.url,
        },
      });
      expect(run.code).toBe(0);
      expect(run.json<{ database: string }>().database).toContain(`/${db.name}`);
    } finally {
      await folder.cleanup();
    }
  });
});
