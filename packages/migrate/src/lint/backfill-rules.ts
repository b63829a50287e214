import type { Node } from 'libpg-query';
import { isExistingTable, type LintContext, type RuleFinding } from './lint-context.js';
import { nodeAs, nodeType, relationName, stringValues, walkTree } from './parse-tree.js';

/** Backfill shape: an UPDATE that touches a whole existing table in one statement. */
export function checkBackfillShape(statement: Node, context: LintContext): RuleFinding[] {
  const update = nodeAs(statement, 'UpdateStmt');
  if (update === undefined) return [];
  const table = relationName(update.relation);
  if (!isExistingTable(context, table) || isBounded(update.whereClause)) return [];
  const why =
    update.whereClause === undefined ? 'has no WHERE clause' : 'bounds neither a key range nor a batch size';
  return [
    {
      ruleId: 'unbounded-update',
      message: `UPDATE ${table} ${why}: it changes every matching row in one transaction.`,
      lock: `Row locks on every matching row of ${table} until the statement commits, one large burst of WAL and dead tuples: concurrent writers to those rows wait.`,
    },
  ];
}

const RANGE_OPERATORS = new Set(['<', '<=', '>', '>=']);

// Whether a value is fixed for the statement (a constant or a parameter), not a column.
const isFixedValue = (node: Node | undefined): boolean => {
  const type = nodeType(node);
  if (type === 'A_Const' || type === 'ParamRef') return true;
  const cast = nodeAs(node, 'TypeCast');
  return cast !== undefined && isFixedValue(cast.arg);
};

/**
 * A WHERE clause bounds an UPDATE when it limits it to a batch: a sub-select with LIMIT, a
 * BETWEEN, a key compared with a constant or parameter (`id = $1`, `id IN (1, 2)`,
 * `id = ANY($1)`), a lower and an upper bound (`id >= $1 AND id < $2`), or WHERE CURRENT OF.
 * `WHERE new_col IS NULL` alone is not a bound: on a big table it still matches everything.
 */
function isBounded(where: Node | undefined): boolean {
  if (where === undefined) return false;
  if (nodeType(where) === 'CurrentOfExpr') return true;
  let lower = false;
  let upper = false;
  let bounded = false;
  walkTree(where, (node) => {
    const select = nodeAs(node, 'SelectStmt');
    if (select?.limitCount !== undefined) bounded = true;
    const expression = nodeAs(node, 'A_Expr');
    if (expression === undefined) return undefined;
    const operator = stringValues(expression.name)[0] ?? '';
    switch (expression.kind) {
      case 'AEXPR_BETWEEN':
      case 'AEXPR_BETWEEN_SYM':
        bounded = true;
        break;
      case 'AEXPR_IN':
      case 'AEXPR_OP_ANY':
        if (operator === '=') bounded = true;
        break;
      case 'AEXPR_OP': {
        const fixedRight = isFixedValue(expression.rexpr);
        const fixedLeft = isFixedValue(expression.lexpr);
        if (!fixedRight && !fixedLeft) break;
        if (operator === '=') bounded = true;
        if (RANGE_OPERATORS.has(operator)) {
          // `id >= $1` is a lower bound; `$1 <= id` is too.
          const greater = operator.startsWith('>') === fixedRight;
          if (greater) lower = true;
          else upper = true;
        }
        break;
      }
      default:
        break;
    }
    return undefined;
  });
  return bounded || (lower && upper);
}
