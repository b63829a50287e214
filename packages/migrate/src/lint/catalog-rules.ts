import type { ColumnDef, Constraint, Node } from 'libpg-query';
import { recordColumnType } from './column-type-change.js';
import { type LintContext, type RuleFinding, sameTable } from './lint-context.js';
import type { LintRuleId } from './lint-rules.js';
import { nodeAs, nodeType, relationName, stringValues } from './parse-tree.js';
import { catalogTable, describeSize, isSmallTable, prettySize } from './table-catalog.js';

// Findings whose lock lasts as long as a rewrite or scan of the table: brief on a small one.
const SIZE_BOUND_RULES = new Set<LintRuleId>([
  'create-index-without-concurrently',
  'add-unique-constraint',
  'alter-column-type',
  'volatile-default-on-new-column',
  'add-check-without-not-valid',
  'add-foreign-key-without-not-valid',
  'set-not-null-without-check',
  'vacuum-full',
  'cluster',
]);

/**
 * With a catalog, a lock held while a table is rewritten, scanned or indexed is judged by the
 * table's size: on a small table (at most the thresholds' rows and bytes) the finding becomes a
 * note, elsewhere the message states the size. Without a catalog, or for other findings, the
 * finding is returned as it is.
 */
export function judgeBySize(finding: RuleFinding, context: LintContext): RuleFinding {
  if (context.catalog === undefined || finding.table === undefined || !SIZE_BOUND_RULES.has(finding.ruleId)) {
    return finding;
  }
  const table = catalogTable(context.catalog, finding.table);
  if (table === undefined) return finding;
  const message = finding.message.replace(/\.$/, '');
  const { rows, bytes } = context.catalog.smallTable;
  if (isSmallTable(table, context.catalog.smallTable)) {
    return {
      ...finding,
      severity: 'note',
      message: `${message}; ${table.name} is small (${describeSize(table)}; at most ${rows} rows and ${prettySize(bytes)} count as small), so the lock is brief.`,
    };
  }
  return { ...finding, message: `${message}; ${table.name} holds ${describeSize(table)}.` };
}

/** A foreign key a statement adds: its table, referencing columns and the referenced table. */
interface AddedForeignKey {
  table: string;
  columns: string[];
  referenced: string;
  location: number | undefined;
}

const constraintsOf = (column: ColumnDef): Constraint[] =>
  (column.constraints ?? []).flatMap((node) => {
    const constraint = nodeAs(node, 'Constraint');
    return constraint ? [constraint] : [];
  });

// The table's column definitions and constraints a CREATE TABLE or ALTER TABLE adds.
function additions(
  statement: Node,
): { table: string; columns: ColumnDef[]; constraints: Constraint[] } | undefined {
  const create = nodeAs(statement, 'CreateStmt');
  if (create) {
    return {
      table: relationName(create.relation),
      columns: (create.tableElts ?? []).flatMap((element) => nodeAs(element, 'ColumnDef') ?? []),
      constraints: (create.tableElts ?? []).flatMap((element) => nodeAs(element, 'Constraint') ?? []),
    };
  }
  const alter = nodeAs(statement, 'AlterTableStmt');
  if (alter === undefined) return undefined;
  const columns: ColumnDef[] = [];
  const constraints: Constraint[] = [];
  for (const command of alter.cmds ?? []) {
    const cmd = nodeAs(command, 'AlterTableCmd');
    const column = nodeAs(cmd?.def, 'ColumnDef');
    const constraint = nodeAs(cmd?.def, 'Constraint');
    if (cmd?.subtype === 'AT_AddColumn' && column) columns.push(column);
    if (cmd?.subtype === 'AT_AddConstraint' && constraint) constraints.push(constraint);
  }
  return { table: relationName(alter.relation), columns, constraints };
}

/** The foreign keys a statement adds (table constraints, and REFERENCES on a column). */
export function foreignKeysAdded(statement: Node): AddedForeignKey[] {
  const added = additions(statement);
  if (added === undefined) return [];
  const key = (constraint: Constraint, columns: string[]): AddedForeignKey => ({
    table: added.table,
    columns,
    referenced: relationName(constraint.pktable),
    location: constraint.location,
  });
  return [
    ...added.constraints
      .filter((constraint) => constraint.contype === 'CONSTR_FOREIGN')
      .map((constraint) => key(constraint, stringValues(constraint.fk_attrs))),
    ...added.columns.flatMap((column) =>
      constraintsOf(column)
        .filter((constraint) => constraint.contype === 'CONSTR_FOREIGN' && column.colname !== undefined)
        .map((constraint) => key(constraint, [column.colname as string])),
    ),
  ];
}

/**
 * Remembers what later checks of the run need: the indexes a statement creates (CREATE INDEX,
 * PRIMARY KEY and UNIQUE constraints) and the new type of an ALTER COLUMN ... TYPE.
 */
export function trackCatalogStatement(statement: Node, context: LintContext): void {
  const index = nodeAs(statement, 'IndexStmt');
  if (index && index.whereClause === undefined) {
    context.knowledge.indexes.push({
      table: relationName(index.relation),
      columns: (index.indexParams ?? []).map((param) => nodeAs(param, 'IndexElem')?.name ?? null),
    });
  }
  const added = additions(statement);
  for (const constraint of added?.constraints ?? []) {
    if (constraint.contype === 'CONSTR_PRIMARY' || constraint.contype === 'CONSTR_UNIQUE') {
      context.knowledge.indexes.push({ table: added?.table ?? '', columns: stringValues(constraint.keys) });
    }
  }
  for (const column of added?.columns ?? []) {
    const keyed = constraintsOf(column).some(
      (constraint) => constraint.contype === 'CONSTR_PRIMARY' || constraint.contype === 'CONSTR_UNIQUE',
    );
    if (keyed && column.colname)
      context.knowledge.indexes.push({ table: added?.table ?? '', columns: [column.colname] });
  }
  const alter = nodeAs(statement, 'AlterTableStmt');
  for (const command of alter?.cmds ?? []) {
    const cmd = nodeAs(command, 'AlterTableCmd');
    if (cmd?.subtype === 'AT_AlterColumnType' && cmd.name) {
      recordColumnType(context, relationName(alter?.relation), cmd.name, nodeAs(cmd.def, 'ColumnDef'));
    }
  }
}

// An index serves a foreign key's lookups when its leading key columns are the key's columns.
const serves = (columns: readonly (string | null)[], key: readonly string[]): boolean => {
  const leading = columns.slice(0, key.length);
  return leading.length === key.length && key.every((column) => leading.includes(column));
};

/**
 * `foreign-key-without-index` for the foreign keys a statement adds, judged once the whole
 * migration is read (an index created after the constraint in the same file counts): only
 * with a catalog, which knows the table's existing indexes.
 */
export function unindexedForeignKeys(statement: Node, context: LintContext): RuleFinding[] {
  if (context.catalog === undefined || nodeType(statement) === undefined) return [];
  return foreignKeysAdded(statement).flatMap((key): RuleFinding[] => {
    const existing = catalogTable(context.catalog, key.table)?.indexes ?? [];
    const covered =
      existing.some((index) => !index.partial && serves(index.columns, key.columns)) ||
      context.knowledge.indexes.some(
        (index) => sameTable(index.table, key.table) && serves(index.columns, key.columns),
      );
    if (covered) return [];
    const columns = key.columns.join(', ');
    return [
      {
        ruleId: 'foreign-key-without-index',
        message: `FOREIGN KEY ${key.table} (${columns}) → ${key.referenced}: no index of ${key.table} starts with (${columns}).`,
        location: key.location,
        lock: `Every DELETE from ${key.referenced}, and every UPDATE of its key, scans ${key.table} for referencing rows.`,
        safeAlternative: `CREATE INDEX CONCURRENTLY ON ${key.table} (${columns}), in this migration or one before it.`,
      },
    ];
  });
}
