import { describe, expect, test } from 'vitest';
import { lintMigration } from './lint-migration.js';

const lint = (sql: string) => lintMigration({ file: '001_orders_expand_change.sql', phase: 'expand', sql });

const ids = async (sql: string) =>
  (await lint(sql)).map((finding) => [finding.ruleId, finding.line, finding.severity]);

describe('type hygiene (warnings)', () => {
  test.each([
    ['varchar(n)', 'name varchar(100)', 'prefer-text'],
    ['character varying(n)', 'name character varying(100)', 'prefer-text'],
    ['char(n)', 'code char(3)', 'prefer-text'],
    ['char', 'flag char', 'prefer-text'],
    ['timestamp', 'created_at timestamp', 'prefer-timestamptz'],
    ['timestamp without time zone', 'created_at timestamp(3) without time zone', 'prefer-timestamptz'],
  ])('%s in CREATE TABLE', async (_name, column, ruleId) => {
    expect(await ids(`CREATE TABLE invoices (\n  id bigint PRIMARY KEY,\n  ${column}\n);`)).toEqual([
      [ruleId, 3, 'warning'],
    ]);
  });

  test.each([
    ['text', 'name text'],
    ['varchar without a length', 'name varchar'],
    ['timestamptz', 'created_at timestamptz'],
    ['timestamp with time zone', 'created_at timestamp with time zone'],
  ])('%s passes', async (_name, column) => {
    expect(await lint(`CREATE TABLE invoices (id bigint PRIMARY KEY, ${column});`)).toEqual([]);
  });

  test('ADD COLUMN and ALTER COLUMN TYPE are checked too', async () => {
    const findings = await ids(
      'ALTER TABLE orders ADD COLUMN paid_at timestamp;\nALTER TABLE orders ALTER COLUMN code TYPE varchar(10);',
    );
    expect(findings).toEqual([
      ['prefer-timestamptz', 1, 'warning'],
      ['alter-column-type', 2, 'error'],
      ['prefer-text', 2, 'warning'],
    ]);
  });

  test.each([
    ['integer', 'id integer PRIMARY KEY'],
    ['int', 'id int PRIMARY KEY'],
    ['smallint', 'id smallint PRIMARY KEY'],
    ['serial', 'id serial PRIMARY KEY'],
    ['smallserial', 'id smallserial PRIMARY KEY'],
    ['a table-level PRIMARY KEY on an integer column', 'id integer, name text, PRIMARY KEY (id)'],
  ])('a %s primary key', async (_name, elements) => {
    const findings = await lint(`CREATE TABLE invoices (${elements});`);
    expect(findings).toEqual([
      expect.objectContaining({ ruleId: 'prefer-bigint-primary-key', line: 1, severity: 'warning' }),
    ]);
  });

  test.each([
    ['bigint identity', 'id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY'],
    ['bigserial', 'id bigserial PRIMARY KEY'],
    ['uuid', 'id uuid PRIMARY KEY'],
    ['a composite key of integers (a join table)', 'a integer, b integer, PRIMARY KEY (a, b)'],
    ['an integer column that is not the key', 'id bigint PRIMARY KEY, quantity integer'],
  ])('a %s primary key passes', async (_name, elements) => {
    expect(await lint(`CREATE TABLE invoices (${elements});`)).toEqual([]);
  });
});
