import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/strata-harness.js';
import { connect, type SqlClient } from '../database/connect.js';
import { snapshotRelations } from './relation-snapshot.js';
import { locksFromStatements } from './statement-locks-of.js';

let db: TestDatabase;
let client: SqlClient;
const excluded = { schema: 'public', tables: ['strata_migrations', 'strata_deploys'] };

beforeAll(async () => {
  db = await createTestDatabase('statement_locks');
  client = await connect(db.url, 'statement-locks-test');
  await db.query(`
    create table parents (id bigint primary key);
    create table children (id bigint primary key, parent_id bigint references parents (id));
    create index children_parent_idx on children (parent_id);
  `);
});

afterAll(async () => {
  await client?.end();
  await db?.drop();
});

describe('locksFromStatements', () => {
  test('names the locks a DROP TABLE takes — the table and the table its foreign key references — from the statement', async () => {
    const { relations } = await snapshotRelations(client, excluded);
    const locks = await locksFromStatements(client, 'DROP TABLE children;', relations);
    expect(locks).toEqual([
      {
        relation: 'public.children',
        relationKind: 'table',
        mode: 'AccessExclusiveLock',
        source: 'statement',
        heldMs: null,
      },
      {
        relation: 'public.parents',
        relationKind: 'table',
        mode: 'AccessExclusiveLock',
        source: 'statement',
        heldMs: null,
      },
    ]);
  });

  test('a DROP INDEX locks the index and its table; new tables and CONCURRENTLY statements take none worth naming', async () => {
    const { relations } = await snapshotRelations(client, excluded);
    const locks = await locksFromStatements(
      client,
      'CREATE TABLE fresh (id int);\nALTER TABLE fresh ADD COLUMN note text;\nDROP INDEX children_parent_idx;\nCREATE INDEX CONCURRENTLY parents_id_idx ON parents (id);',
      relations,
    );
    expect(locks.map((lock) => [lock.relation, lock.relationKind, lock.mode])).toEqual([
      ['public.children_parent_idx', 'index', 'AccessExclusiveLock'],
      ['public.children', 'table', 'AccessExclusiveLock'],
    ]);
    expect(await locksFromStatements(client, null, relations)).toEqual([]);
  });
});
