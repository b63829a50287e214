import type { Constraint, Node } from 'libpg-query';
import type { LintContext, NotNullCheck } from './lint-context.js';
import { sameTable } from './lint-context.js';
import { nodeAs, nodeType, relationName, stringValues } from './parse-tree.js';

/**
 * Updates what the linter knows after a statement has been checked: tables created in this
 * file, whether an explicit transaction is open, and CHECK (column IS NOT NULL) constraints
 * that make a later SET NOT NULL cheap.
 */
export function trackStatement(statement: Node, context: LintContext): void {
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
        }
      }
      return;
    }
    default:
      return;
  }
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
function notNullColumns(expression: Node | undefined): string[] {
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
