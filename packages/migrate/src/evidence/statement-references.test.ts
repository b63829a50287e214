import type { Node } from 'libpg-query';
import { describe, expect, test } from 'vitest';
import { parseSql, splitSqlStatements } from '../sql-parser.js';
import { droppedObjects } from './dropped-objects.js';
import {
  isApplicationStatement,
  type ReferenceTargets,
  statementReferences,
} from './statement-references.js';

const parsed = async (sql: string): Promise<Node> => (await parseSql(sql)).stmts?.[0]?.stmt as Node;

const columnTarget: ReferenceTargets = {
  tables: [],
  columns: [{ table: 'public.invoices', column: 'old_currency', label: 'drop column invoices.old_currency' }],
  uniqueIndexes: [],
};

const catalog = new Map([
  ['invoices', new Set(['id', 'old_currency', 'currency', 'customer_id'])],
  ['customers', new Set(['id', 'name', 'old_currency'])],
  ['notes', new Set(['id', 'body'])],
]);
const columnsOf = (table: string) => catalog.get(table.slice(table.lastIndexOf('.') + 1));

async function uses(sql: string, targets: ReferenceTargets = columnTarget): Promise<string[]> {
  return statementReferences(await parsed(sql), targets, columnsOf).map((use) => use.usage);
}

describe('droppedObjects', () => {
  test("reads what a contract removes from PostgreSQL's parse tree", async () => {
    const statements = await splitSqlStatements(
      [
        'alter table invoices drop column old_currency, drop constraint invoices_code_key',
        'drop table if exists legacy_invoices, archive.old_notes',
        'drop index concurrently invoices_old_idx',
        'alter table customers rename column nick to nickname',
        'alter table notes rename to memos',
        "comment on table memos is 'drop table x'",
      ].join(';\n'),
    );
    expect(droppedObjects(statements)).toEqual([
      { kind: 'column', table: 'invoices', column: 'old_currency', removal: 'drop', line: 1 },
      { kind: 'constraint', table: 'invoices', constraint: 'invoices_code_key', removal: 'drop', line: 1 },
      { kind: 'table', table: 'legacy_invoices', removal: 'drop', line: 2 },
      { kind: 'table', table: 'archive.old_notes', removal: 'drop', line: 2 },
      { kind: 'index', index: 'invoices_old_idx', removal: 'drop', line: 3 },
      { kind: 'column', table: 'customers', column: 'nick', removal: 'rename', line: 4 },
      { kind: 'table', table: 'notes', removal: 'rename', line: 5 },
    ]);
  });
});

describe('statementReferences', () => {
  test('a column is used where it is read, written, filtered or returned', async () => {
    expect(await uses('select id, old_currency from invoices where id = $1')).toEqual([
      'uses invoices.old_currency',
    ]);
    expect(await uses('select i.id from invoices i where i.old_currency = $1')).toEqual([
      'uses i.old_currency',
    ]);
    expect(await uses('update invoices set old_currency = $1 where id = $2')).toEqual([
      'sets invoices.old_currency',
    ]);
    expect(await uses('insert into invoices (id, old_currency) values ($1, $2)')).toEqual([
      'writes invoices.old_currency',
    ]);
    expect(await uses('delete from invoices where old_currency is null returning id')).toEqual([
      'uses invoices.old_currency',
    ]);
    expect(
      await uses(
        'merge into invoices i using customers c on c.id = i.customer_id when matched then update set old_currency = c.name',
      ),
    ).toEqual(['sets invoices.old_currency']);
    // Qualified by another table of the statement: that table's column.
    expect(
      await uses(
        'update invoices i set currency = c.old_currency from customers c where c.id = i.customer_id',
      ),
    ).toEqual([]);
  });

  test('names are resolved by scope, not by text', async () => {
    // The column of the same name on another table, and a string that mentions it.
    expect(await uses('select old_currency from customers where id = $1')).toEqual([]);
    expect(await uses("select id from invoices where currency = 'old_currency'")).toEqual([]);
    // A correlated subquery: the inner customers has the column, so it is customers'.
    expect(
      await uses('select id from invoices where exists (select 1 from customers where old_currency = $1)'),
    ).toEqual([]);
    // An inner table without the column: the name reaches out to invoices.
    expect(
      await uses('select id from invoices where exists (select 1 from notes where body = old_currency)'),
    ).toEqual(['uses invoices.old_currency']);
    // A CTE named like the table is not the table.
    expect(
      await uses('with invoices as (select 1 as old_currency) select old_currency from invoices'),
    ).toEqual([]);
    expect(
      await uses('select c.old_currency from invoices i join customers c on c.id = i.customer_id'),
    ).toEqual([]);
  });

  test('SELECT * keeps working without the column; INSERT without a column list does not', async () => {
    expect(await uses('select * from invoices')).toEqual([]);
    expect(await uses('select i.* from invoices i')).toEqual([]);
    expect(await uses('insert into invoices values ($1, $2, $3, $4)')).toEqual([
      'INSERT INTO invoices without a column list writes every column by position',
    ]);
  });

  test('a dropped table is used by any statement naming it; a dropped unique index by the ON CONFLICT that needs it', async () => {
    const targets: ReferenceTargets = {
      tables: [{ table: 'public.notes', label: 'drop table notes' }],
      columns: [],
      uniqueIndexes: [
        {
          names: ['invoices_code_key'],
          table: 'public.invoices',
          columns: ['code'],
          label: 'drop index invoices_code_key',
        },
      ],
    };
    expect(await uses('select count(*) from public.notes', targets)).toEqual(['reads public.notes']);
    expect(await uses('select count(*) from archive.notes', targets)).toEqual([]);
    expect(
      await uses('insert into invoices (code) values ($1) on conflict (code) do nothing', targets),
    ).toEqual(['ON CONFLICT (code) infers it']);
    expect(
      await uses(
        'insert into invoices (code) values ($1) on conflict on constraint invoices_code_key do nothing',
        targets,
      ),
    ).toEqual(['ON CONFLICT ON CONSTRAINT invoices_code_key']);
    expect(
      await uses('insert into invoices (code) values ($1) on conflict (id) do nothing', targets),
    ).toEqual([]);
  });

  test('only what application code runs is judged: DDL and utility statements are not', async () => {
    expect(isApplicationStatement(await parsed('alter table invoices add column x int'))).toBe(false);
    expect(isApplicationStatement(await parsed('select 1'))).toBe(true);
    expect(isApplicationStatement(await parsed('copy invoices (old_currency) from stdin'))).toBe(true);
  });
});
