import { expect, test } from 'vitest';
import { filterColumns } from './plan-filters.js';

test('finds the columns of the scanned alias a VERBOSE filter reads, once each, in order', () => {
  expect(
    filterColumns("((t.status = 'open'::text) AND (t.assignee_email = $1) AND (t.status <> $2))", 't'),
  ).toEqual(['status', 'assignee_email']);
});

test('ignores other relations, string literals and quoting', () => {
  expect(
    filterColumns(`(("T"."Due On" < now()) AND (t.note = 'x.y'::text) AND (o.id = "T".owner_id))`, 'T'),
  ).toEqual(['Due On', 'owner_id']);
});

test('reads filters a parser would refuse, such as sub-plans', () => {
  expect(filterColumns('((SubPlan 1) OR (tickets.closed_at IS NULL))', 'tickets')).toEqual(['closed_at']);
});
