import { escapeIdentifier } from '@strata/errors';
import { syntheticValue } from './synthetic-value.js';
import type { TableInfo } from './table-catalog.js';

/** How to fill one table: the INSERT (rows as `$1`), or why it cannot be filled. */
export type FillStatement =
  | { sql: string; nulled: string[]; fromParents: string[] }
  | { sql: undefined; problem: string };

/**
 * Builds `INSERT INTO t (...) SELECT ... FROM generate_series(1, $1) g` for a table:
 *
 * - identity and generated columns, and columns with a default (unless they are part of a
 *   unique key and the default is not a sequence), are left to the server;
 * - foreign-key columns take the key of parent row `((g - 1) % parent rows) + 1`, joined
 *   by row number (a hash join, so it stays linear); a foreign key to a parent not filled
 *   yet (`filled` does not have it: a cycle, or the table itself) is left NULL;
 * - every other column gets `syntheticValue`, or NULL when nullable and its type has none.
 *
 * With `minimal`, nullable columns outside keys are left NULL too: the fallback when the
 * full row breaks a CHECK constraint.
 */
export function fillStatement(table: TableInfo, filled: ReadonlySet<number>, minimal = false): FillStatement {
  const targets: string[] = [];
  const values: string[] = [];
  const nulled: string[] = [];
  const fromParents: string[] = [];
  const joins: string[] = [];
  const ctes: string[] = [];
  const inKey = (column: string) => table.uniqueKeys.some((key) => key.includes(column));
  const covered = new Set<string>();

  table.foreignKeys.forEach((foreignKey, index) => {
    if (foreignKey.columns.some((column) => covered.has(column))) return;
    for (const column of foreignKey.columns) covered.add(column);
    const columns = table.columns.filter((column) => foreignKey.columns.includes(column.name));
    if (foreignKey.parentOid === table.oid || !filled.has(foreignKey.parentOid)) {
      // Left NULL (or to its default); a NOT NULL one makes the insert fail, which is reported.
      nulled.push(...foreignKey.columns);
      return;
    }
    const alias = `fk${index}`;
    const parentColumns = foreignKey.parentColumns.map(escapeIdentifier);
    ctes.push(
      `${alias} as (select ${parentColumns.map((column, i) => `${column} as c${i}`).join(', ')}, row_number() over () as rn from ${foreignKey.parent} where ${parentColumns.map((column) => `${column} is not null`).join(' and ')})`,
      `${alias}n as (select greatest(count(*), 1) as n from ${alias})`,
    );
    joins.push(`cross join ${alias}n left join ${alias} on ${alias}.rn = ((g - 1) % ${alias}n.n) + 1`);
    foreignKey.columns.forEach((name, i) => {
      const column = columns.find((candidate) => candidate.name === name);
      targets.push(escapeIdentifier(name));
      values.push(`${alias}.c${i}${column ? `::${column.typeSql}` : ''}`);
    });
    fromParents.push(foreignKey.parent);
  });

  for (const column of table.columns) {
    if (covered.has(column.name) || column.identity || column.generated) continue;
    const key = inKey(column.name);
    if (column.defaultSql !== null && !(key && !/nextval\(/i.test(column.defaultSql))) continue;
    if (minimal && !column.notNull && !key) {
      nulled.push(column.name);
      continue;
    }
    const value = syntheticValue(column);
    if (value === undefined) {
      if (column.notNull) {
        return {
          sql: undefined,
          problem: `cannot make values of type ${column.typeSql} for NOT NULL column ${column.name}`,
        };
      }
      nulled.push(column.name);
      continue;
    }
    targets.push(escapeIdentifier(column.name));
    values.push(value);
  }

  const withClause = ctes.length > 0 ? `with ${ctes.join(', ')} ` : '';
  // No column to set (all identity or defaulted): a zero-column SELECT inserts rows of defaults.
  const columnList = targets.length > 0 ? ` (${targets.join(', ')})` : '';
  const sql = `${withClause}insert into ${table.qualified}${columnList} select ${values.join(', ')} from generate_series(1, $1::int) as g ${joins.join(' ')}`;
  return { sql, nulled, fromParents };
}
