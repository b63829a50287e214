import type { Node } from 'libpg-query';
import type { AddedColumn, LintContext, RuleFinding } from './lint-context.js';
import { isExistingTable, sameTable } from './lint-context.js';
import { nodeAs, relationName } from './parse-tree.js';
import { addedColumn, columnAddedHere, fillsExistingRows, notNullColumns } from './schema-tracking.js';

/**
 * NOT NULL on a column added without a default: a CHECK (column IS NOT NULL) — NOT VALID or
 * not — or SET NOT NULL. PostgreSQL applies even a NOT VALID check to every new row version,
 * so before the backfill every UPDATE of a row it has not reached fails; and without a
 * default, every INSERT by code that leaves the column out fails.
 */
export function checkNotNullOnAddedColumns(statement: Node, context: LintContext): RuleFinding[] {
  const alter = nodeAs(statement, 'AlterTableStmt');
  if (alter === undefined) return [];
  const table = relationName(alter.relation);
  // A table no deployed code uses yet has no rows and no writers to break.
  if (!isExistingTable(context, table)) return [];
  // Columns added by this same ALTER TABLE count too.
  const addedHere: AddedColumn[] = [];
  const findings: RuleFinding[] = [];
  for (const command of alter.cmds ?? []) {
    const cmd = nodeAs(command, 'AlterTableCmd');
    const column = nodeAs(cmd?.def, 'ColumnDef');
    if (cmd?.subtype === 'AT_AddColumn' && column?.colname && !fillsExistingRows(column)) {
      addedHere.push(columnAddedHere(context, table, column.colname));
    }
    const constraint = cmd?.subtype === 'AT_AddConstraint' ? nodeAs(cmd.def, 'Constraint') : undefined;
    const columns =
      constraint?.contype === 'CONSTR_CHECK'
        ? notNullColumns(constraint.raw_expr)
        : cmd?.subtype === 'AT_SetNotNull' && cmd.name
          ? [cmd.name]
          : [];
    const what =
      constraint === undefined
        ? `SET NOT NULL on ${table}`
        : `CHECK (... IS NOT NULL)${constraint.skip_validation ? ' NOT VALID' : ''}${constraint.conname ? ` ${constraint.conname}` : ''} on ${table}`;
    for (const name of columns) {
      const added = [
        ...addedColumn(context, table, name),
        ...addedHere.filter((here) => here.column === name && sameTable(here.table, table)),
      ].at(-1);
      if (added === undefined) continue;
      const finding = judge(added, what, context, constraint?.location);
      if (finding) findings.push(finding);
    }
  }
  return findings;
}

function judge(
  added: AddedColumn,
  what: string,
  context: LintContext,
  location: number | undefined,
): RuleFinding | undefined {
  const column = `${added.table}.${added.column}`;
  const where = added.file === context.file ? `line ${added.line}` : `${added.file}:${added.line}`;
  if (!added.filled) {
    return {
      ruleId: 'not-null-before-backfill',
      message: `${what} requires ${column}, added without a DEFAULT (${where}), before a backfill filled it: existing rows hold NULL, and PostgreSQL checks every new row version — each UPDATE of a row not yet backfilled${added.hasDefault ? '' : ' and each INSERT that leaves the column out'} fails.`,
      location,
    };
  }
  if (added.hasDefault || context.phase === 'contract') return undefined;
  return {
    ruleId: 'not-null-without-default',
    message: `${what} requires ${column}, added without a DEFAULT (${where}): the code deployed before the column existed inserts rows without it, and those INSERTs fail.`,
    location,
  };
}
