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

  test('behind transaction pooling the pooler bounds connections, and its caveats are flagged', () => {
    const pooled: PgBouncerDetection = {
      detected: true,
      pooling: 'transaction',
      version: null,
      evidence: [],
    };
    expect(ids(doctorProblems(facts, { poolMax: 500, instances: 1 }, pooled))).toEqual([
      'warning:pgbouncer-transaction-pooling',
    ]);
  });

  test('a server nearly out of connections is flagged', () => {
    expect(
      ids(doctorProblems({ ...facts, connectionsInUse: 95 }, { poolMax: 10, instances: 1 }, direct)),
    ).toEqual(['warning:connections-nearly-exhausted']);
  });
});
