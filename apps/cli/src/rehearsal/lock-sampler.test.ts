import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/strata-harness.js';
import { connect, type SqlClient } from '../database/connect.js';
import { LockSampler } from './lock-sampler.js';

let db: TestDatabase;
let sampler: SqlClient;
let holder: SqlClient;
let other: SqlClient;

beforeAll(async () => {
  db = await createTestDatabase('locks');
  await db.query('create table accounts (id bigint primary key); create table audit (id bigint primary key)');
  sampler = await connect(db.url, 'sampler');
  holder = await connect(db.url, 'holder');
  other = await connect(db.url, 'another-session');
});

afterAll(async () => {
  await Promise.all([sampler?.end(), holder?.end(), other?.end()]);
  await db?.drop();
});

describe('LockSampler', () => {
  test("records the table locks the watched sessions hold while a window is open, and no one else's", async () => {
    const oids = await db.query<{ accounts: string; audit: string }>(
      "select 'accounts'::regclass::oid::int8 as accounts, 'audit'::regclass::oid::int8 as audit",
    );
    const accounts = Number(oids[0]?.accounts);
    const audit = Number(oids[0]?.audit);
    const locks = new LockSampler(sampler, ['holder'], 5);
    locks.start();
    try {
      await other.query('begin');
      await other.query('lock table audit in access exclusive mode');
      const window = locks.begin();
      await holder.query('begin');
      await holder.query('lock table accounts in access exclusive mode');
      // The lock is held until commit; the sampler sees it at least at the window's end.
      await sleep(50);
      await locks.end();
      await holder.query('commit');
      await other.query('commit');

      const seen = [...window.seen.values()].filter((lock) => lock.relation === accounts);
      expect(seen.map((lock) => lock.mode)).toEqual(['AccessExclusiveLock']);
      expect([...window.seen.values()].filter((lock) => lock.relation === audit)).toEqual([]);
      expect(seen[0]?.lastSeenAt).toBeGreaterThanOrEqual(seen[0]?.firstSeenAt ?? Number.NaN);
      expect(window.samples).toBeGreaterThan(0);

      // Outside a window nothing is recorded.
      const later = locks.begin();
      await locks.end();
      expect([...later.seen.values()].filter((lock) => lock.relation === accounts)).toEqual([]);
    } finally {
      await locks.stop();
    }
  });
});
