import { describe, expect, test } from 'vitest';
import type { PgBouncerDetection } from './detect-pgbouncer.js';
import { doctorProblems } from './doctor-problems.js';
import type { ServerFacts } from './server-facts.js';

const facts: ServerFacts = {
  version: '16.4',
  versionNum: 160004,
  database: 'app',
  user: 'app',
  maxConnections: 100,
  superuserReservedConnections: 3,
  reservedConnections: 2,
  connectionsInUse: 10,
  statementTimeoutMs: 30_000,
  lockTimeoutMs: 5_000,
  idleInTransactionSessionTimeoutMs: 60_000,
};
const direct: PgBouncerDetection = {
  detected: false,
  pooling: 'session-or-none',
  version: null,
  maxPreparedStatements: null,
  evidence: [],
};
const ids = (problems: ReturnType<typeof doctorProblems>) => problems.map((p) => `${p.severity}:${p.id}`);

describe('doctorProblems', () => {
  test('a well-configured server with a pool that fits has none', () => {
    expect(doctorProblems(facts, { poolMax: 25, instances: 3 }, direct)).toEqual([]);
  });

  test('pools beyond the connections ordinary roles may open are an error; above 80 % a warning', () => {
    expect(ids(doctorProblems(facts, { poolMax: 96, instances: 1 }, direct))).toEqual([
      'error:pool-exceeds-connections',
    ]);
    expect(ids(doctorProblems(facts, { poolMax: 95, instances: 1 }, direct))).toEqual([
      'warning:pool-near-connections',
    ]);
    expect(ids(doctorProblems(facts, { poolMax: 25, instances: 4 }, direct))).toEqual([
      'error:pool-exceeds-connections',
    ]);
    expect(doctorProblems(facts, { poolMax: 25, instances: 4 }, direct)[0]?.message).toContain(
      '4 pools of 25 (100) exceeds the 95 connections',
    );
  });

  test('timeouts that are off are warnings', () => {
    const off = { ...facts, statementTimeoutMs: 0, lockTimeoutMs: 0, idleInTransactionSessionTimeoutMs: 0 };
    expect(ids(doctorProblems(off, { poolMax: 10, instances: 1 }, direct))).toEqual([
      'warning:no-statement-timeout',
      'warning:no-lock-timeout',
      'warning:no-idle-in-transaction-timeout',
    ]);
  });

  describe('behind transaction pooling', () => {
    const pooled = (
      version: string | null,
      maxPreparedStatements: number | null = null,
    ): PgBouncerDetection => ({
      detected: true,
      pooling: 'transaction',
      version,
      maxPreparedStatements,
      evidence: [],
    });

    test('the pooler bounds connections; without a direct migrationUrl, a warning', () => {
      expect(ids(doctorProblems(facts, { poolMax: 500, instances: 1 }, pooled(null)))).toEqual([
        'warning:pgbouncer-transaction-pooling',
      ]);
      expect(
        doctorProblems(facts, { poolMax: 500, instances: 1, migrationUrl: true }, pooled('PgBouncer 1.18.0')),
      ).toEqual([]);
    });

    test('prepared statements on PgBouncer before 1.21 are an error; with the default settings the pool turns them off', () => {
      const sizing = { poolMax: 10, instances: 1, migrationUrl: true };
      expect(
        ids(doctorProblems(facts, { ...sizing, preparedStatements: true }, pooled('PgBouncer 1.18.0'))),
      ).toEqual(['error:pgbouncer-prepared-statements']);
      expect(
        ids(doctorProblems(facts, { ...sizing, preparedStatements: true }, pooled('PgBouncer 1.21.0', 0))),
      ).toEqual(['error:pgbouncer-prepared-statements']);
      expect(
        doctorProblems(facts, { ...sizing, preparedStatements: true }, pooled('PgBouncer 1.22.1', 200)),
      ).toEqual([]);
      expect(ids(doctorProblems(facts, { ...sizing, preparedStatements: true }, pooled(null)))).toEqual([
        'warning:pgbouncer-prepared-statements',
      ]);
      expect(doctorProblems(facts, sizing, pooled('PgBouncer 1.18.0'))).toEqual([]);
    });

    test('a pool set up for no PgBouncer (or session mode) is an error, and names its statements', () => {
      expect(
        ids(
          doctorProblems(
            facts,
            { poolMax: 10, instances: 1, migrationUrl: true, pgbouncer: false },
            pooled('PgBouncer 1.18.0'),
          ),
        ),
      ).toEqual(['error:pgbouncer-setting-mismatch', 'error:pgbouncer-prepared-statements']);
    });

    test('timeout advice is per role, not the pool', () => {
      const off = { ...facts, user: 'app', statementTimeoutMs: 0 };
      const [problem] = doctorProblems(off, { poolMax: 10, instances: 1, migrationUrl: true }, pooled(null));
      expect(problem?.message).toContain(`ALTER ROLE "app" SET statement_timeout = '30s'`);
      expect(problem?.message).toContain('refuses it as a startup parameter');
      const [direct] = doctorProblems(
        off,
        { poolMax: 10, instances: 1 },
        { ...pooled(null), pooling: 'session-or-none' },
      );
      expect(direct?.message).toContain('or in the pool');
    });
  });

  test('a server nearly out of connections is flagged', () => {
    expect(
      ids(doctorProblems({ ...facts, connectionsInUse: 95 }, { poolMax: 10, instances: 1 }, direct)),
    ).toEqual(['warning:connections-nearly-exhausted']);
  });
});
