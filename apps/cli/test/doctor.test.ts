import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, strata, type TestDatabase } from './strata-harness.js';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('doctor');
  // Sessions in this database get a statement timeout; the other timeouts stay off.
  await db.query(`alter database ${db.name} set statement_timeout = '30s'`);
});

afterAll(async () => {
  await db?.drop();
});

interface DoctorDocument {
  ok: boolean;
  server: { version: string; versionNum: number; database: string };
  connections: { max: number; available: number; inUse: number };
  pool: { max: number; instances: number; total: number };
  settings: { statementTimeoutMs: number; lockTimeoutMs: number; idleInTransactionSessionTimeoutMs: number };
  pgbouncer: { detected: boolean | null; pooling: string | null; evidence: string[] };
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
