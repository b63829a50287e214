import type { ColumnDef, Constraint, Node } from 'libpg-query';
import type { AddedColumn, LintContext, NotNullCheck } from './lint-context.js';
import { isExistingTable, sameTable } from './lint-context.js';
import { SERIAL_TYPES } from './lock-rules.js';
import { nodeAs, nodeType, relationName, stringValues, typeBaseName } from './parse-tree.js';
import { writeBlockingLocks } from './transaction-rules.js';

/**
 * Updates what the linter knows after a statement has been checked: tables created in this
 * file, whether an explicit transaction is open, CHECK (column IS NOT NULL) constraints
 * that make a later SET NOT NULL cheap, columns added without a default and whether a
 * backfill filled them, and the write-blocking locks the migration's transaction holds.
 */
export function trackStatement(statement: Node, context: LintContext): void {
  for (const lock of writeBlockingLocks(statement, context)) {
    context.heldLocks.push({ ...lock, line: context.line });
  }
  switch (nodeType(statement)) {
    case 'TransactionStmt': {
      const kind = nodeAs(statement, 'TransactionStmt')?.kind;
      if (kind === 'TRANS_STMT_BEGIN' || kind === 'TRANS_STMT_START') context.inTransaction = true;
      if (kind === 'TRANS_STMT_COMMIT' || kind === 'TRANS_STMT_ROLLBACK' || kind === 'TRANS_STMT_PREPARE') {
        context.inTransaction = false;
      }
      return;
    }
    case 'CreateStmt': {
      const create = nodeAs(statement, 'CreateStmt');
      const table = relationName(create?.relation);
      context.createdTables.push(table);
      // A check on a table created here validates its (zero) rows immediately.
      for (const element of create?.tableElts ?? []) {
        const constraint = nodeAs(element, 'Constraint');
        if (constraint) recordCheck(context, table, constraint, true);
      }
      return;
    }
    case 'CreateTableAsStmt': {
      const into = nodeAs(statement, 'CreateTableAsStmt')?.into;
      context.createdTables.push(relationName(into?.rel));
      return;
    }
    case 'AlterTableStmt': {
      const alter = nodeAs(statement, 'AlterTableStmt');
      const table = relationName(alter?.relation);
      for (const command of alter?.cmds ?? []) {
        const cmd = nodeAs(command, 'AlterTableCmd');
        if (cmd?.subtype === 'AT_AddConstraint') {
          const constraint = nodeAs(cmd.def, 'Constraint');
          if (constraint) recordCheck(context, table, constraint, !constraint.skip_validation);
        } else if (cmd?.subtype === 'AT_ValidateConstraint') {
          for (const check of checksNamed(context, table, cmd.name)) check.validated = true;
        } else if (cmd?.subtype === 'AT_DropConstraint') {
          const dropped = new Set(checksNamed(context, table, cmd.name));
          context.knowledge.notNullChecks = context.knowledge.notNullChecks.filter(
            (check) => !dropped.has(check),
          );
        } else if (cmd?.subtype === 'AT_AddColumn') {
          const column = nodeAs(cmd.def, 'ColumnDef');
          if (column?.colname && isExistingTable(context, table) && !fillsExistingRows(column)) {
            forgetColumn(context, table, column.colname);
            context.knowledge.addedColumns.push(columnAddedHere(context, table, column.colname));
          }
        } else if (cmd?.subtype === 'AT_ColumnDefault') {
          for (const added of addedColumn(context, table, cmd.name)) added.hasDefault = cmd.def !== undefined;
        } else if (cmd?.subtype === 'AT_DropColumn' && cmd.name) {
          forgetColumn(context, table, cmd.name);
        }
      }
      return;
    }
    case 'UpdateStmt': {
      const update = nodeAs(statement, 'UpdateStmt');
      const table = relationName(update?.relation);
      for (const target of update?.targetList ?? []) {
        for (const added of addedColumn(context, table, nodeAs(target, 'ResTarget')?.name))
          added.filled = true;
      }
      return;
    }
    default:
      return;
  }
}

/** A column the statement being checked adds to `table` without a default: not filled yet. */
export function columnAddedHere(context: LintContext, table: string, column: string): AddedColumn {
  return {
    table,
    column,
    scope: context.scope,
    file: context.file,
    line: context.line,
    filled: false,
    hasDefault: false,
  };
}

/** The columns added without a default that are tracked under this table and name. */
export function addedColumn(context: LintContext, table: string, column: string | undefined): AddedColumn[] {
  return context.knowledge.addedColumns.filter(
    (added) => added.column === column && sameTable(added.table, table),
  );
}

function forgetColumn(context: LintContext, table: string, column: string): void {
  const forgotten = new Set(addedColumn(context, table, column));
  context.knowledge.addedColumns = context.knowledge.addedColumns.filter((added) => !forgotten.has(added));
}

/** Whether ADD COLUMN gives existing rows a value: a DEFAULT, an identity, a generated expression or serial. */
export function fillsExistingRows(column: ColumnDef): boolean {
  if (SERIAL_TYPES.has(typeBaseName(column.typeName))) return true;
  return (column.constraints ?? []).some((node) => {
    const type = nodeAs(node, 'Constraint')?.contype;
    return type === 'CONSTR_DEFAULT' || type === 'CONSTR_IDENTITY' || type === 'CONSTR_GENERATED';
  });
}

function checksNamed(context: LintContext, table: string, name: string | undefined): NotNullCheck[] {
  return context.knowledge.notNullChecks.filter(
    (check) => check.constraint === name && sameTable(check.table, table),
  );
}

function recordCheck(context: LintContext, table: string, constraint: Constraint, validated: boolean): void {
  if (constraint.contype !== 'CONSTR_CHECK') return;
  const columns = notNullColumns(constraint.raw_expr);
  if (columns.length === 0) return;
  context.knowledge.notNullChecks.push({
    table,
    constraint: constraint.conname ?? '',
    columns,
    validated,
  });
}

/** Columns an expression proves non-null: `a IS NOT NULL`, or several joined with AND. */
export function notNullColumns(expression: Node | undefined): string[] {
  const test = nodeAs(expression, 'NullTest');
  if (test?.nulltesttype === 'IS_NOT_NULL') {
    const fields = stringValues(nodeAs(test.arg, 'ColumnRef')?.fields);
    const column = fields[fields.length - 1];
    return column === undefined ? [] : [column];
  }
  const bool = nodeAs(expression, 'BoolExpr');
  if (bool?.boolop === 'AND_EXPR') return (bool.args ?? []).flatMap(notNullColumns);
  return [];
}
