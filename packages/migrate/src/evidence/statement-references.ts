import type { Node, RangeVar } from 'libpg-query';
import { sameTable } from '../lint/lint-context.js';
import { nodeAs, nodeType, relationName, stringValues, walkTree } from '../lint/parse-tree.js';

/** What the evidence check looks for in recorded statements, each with the label it reports. */
export interface ReferenceTargets {
  /** Dropped (renamed, moved) tables and views: any use of the relation. */
  tables: readonly { table: string; label: string }[];
  /** Dropped or renamed columns: a column reference that resolves to the table. */
  columns: readonly { table: string; column: string; label: string }[];
  /**
   * Dropped unique indexes and the constraints they back: `ON CONFLICT ON CONSTRAINT name`,
   * or `ON CONFLICT (columns)` inferring exactly this index.
   */
  uniqueIndexes: readonly {
    names: readonly string[];
    table: string;
    columns: readonly string[];
    label: string;
  }[];
}

/** The columns of a table as the catalog has them; undefined when the table is unknown. */
export type ColumnsOf = (table: string) => ReadonlySet<string> | undefined;

/** One use of a target by a statement: the target's label and how the statement uses it. */
export interface StatementReference {
  target: string;
  usage: string;
}

// One query level: the relations of its FROM (or the target of INSERT/UPDATE/DELETE/MERGE),
// the other range entries (subqueries, functions, CTEs) by alias, and the level around it.
interface Scope {
  relations: { table: string; alias: string | undefined }[];
  others: Set<string>;
  ctes: Set<string>;
  parent: Scope | undefined;
}

const bare = (name: string): string => name.slice(name.lastIndexOf('.') + 1);
const nodes = (value: unknown): Node[] => (Array.isArray(value) ? (value as Node[]) : []);

/**
 * The targets a parsed DML statement (SELECT, INSERT, UPDATE, DELETE, MERGE, COPY) uses,
 * resolving names the way PostgreSQL scopes them: an unqualified column belongs to the
 * nearest query level whose relations have it (`columnsOf`; a level whose columns are unknown
 * is looked through, which may over-report), a qualified one to the relation or alias it
 * names. `SELECT *` and `t.*` are not uses of a column (they keep working without it);
 * `INSERT INTO t VALUES (...)` and `COPY t FROM` without a column list are uses of every
 * column (they write by position). Other statements use nothing.
 */
export function statementReferences(
  statement: Node,
  targets: ReferenceTargets,
  columnsOf: ColumnsOf = () => undefined,
): StatementReference[] {
  const found = new Map<string, StatementReference>();
  const note = (target: string, usage: string): void => {
    found.set(`${target}\u0000${usage}`, { target, usage });
  };

  const isCte = (name: string, scope: Scope | undefined): boolean => {
    for (let level = scope; level; level = level.parent) if (level.ctes.has(name)) return true;
    return false;
  };

  const useRelation = (relation: RangeVar | undefined, scope: Scope, verb: string): string | undefined => {
    if (relation?.relname === undefined) return undefined;
    const table = relationName(relation);
    if (relation.schemaname === undefined && isCte(relation.relname, scope)) {
      scope.others.add(relation.alias?.aliasname ?? relation.relname);
      return undefined;
    }
    scope.relations.push({ table, alias: relation.alias?.aliasname });
    for (const target of targets.tables)
      if (sameTable(target.table, table)) note(target.label, `${verb} ${table}`);
    return table;
  };

  const useColumn = (table: string, column: string, usage: string): void => {
    for (const target of targets.columns) {
      if (target.column === column && sameTable(target.table, table)) note(target.label, usage);
    }
  };

  const useEveryColumn = (table: string, usage: string): void => {
    for (const target of targets.columns) if (sameTable(target.table, table)) note(target.label, usage);
  };

  const resolveColumn = (fields: readonly Node[] | undefined, scope: Scope): void => {
    if ((fields ?? []).some((field) => nodeType(field) === 'A_Star')) return;
    const names = stringValues(fields);
    const column = names.at(-1);
    if (column === undefined) return;
    if (names.length === 1) {
      for (let level: Scope | undefined = scope; level; level = level.parent) {
        const here = level.relations.filter((relation) =>
          targets.columns.some(
            (target) => target.column === column && sameTable(target.table, relation.table),
          ),
        );
        if (here.length > 0) {
          for (const relation of here)
            useColumn(relation.table, column, `uses ${bare(relation.table)}.${column}`);
          return;
        }
        // Resolved here when a relation of this level is known to have the column.
        if (level.relations.some((relation) => columnsOf(relation.table)?.has(column))) return;
      }
      return;
    }
    const qualifier = names.at(-2) as string;
    const schema = names.length > 2 ? names.at(-3) : undefined;
    for (let level: Scope | undefined = scope; level; level = level.parent) {
      const relation = level.relations.find((candidate) =>
        candidate.alias !== undefined
          ? candidate.alias === qualifier && schema === undefined
          : bare(candidate.table) === qualifier &&
            (schema === undefined || sameTable(candidate.table, `${schema}.${qualifier}`)),
      );
      if (relation) {
        useColumn(relation.table, column, `uses ${qualifier}.${column}`);
        return;
      }
      if (level.others.has(qualifier)) return;
    }
  };

  const walkExpression = (expression: unknown, scope: Scope): void => {
    walkTree(expression, (node) => {
      const type = nodeType(node);
      if (type === 'ColumnRef') {
        resolveColumn(nodeAs(node, 'ColumnRef')?.fields, scope);
        return false;
      }
      if (type === 'SelectStmt') {
        walkSelect(node, scope);
        return false;
      }
      return undefined;
    });
  };

  const addCtes = (withClause: { ctes?: Node[] } | undefined, scope: Scope): void => {
    for (const item of withClause?.ctes ?? []) {
      const cte = nodeAs(item, 'CommonTableExpr');
      if (cte?.ctename) scope.ctes.add(cte.ctename);
    }
    for (const item of withClause?.ctes ?? []) {
      const query = nodeAs(item, 'CommonTableExpr')?.ctequery;
      if (query) walkStatement(query, scope);
    }
  };

  // FROM items: relations join the scope now; their conditions are walked once all are known.
  const addRange = (item: Node, scope: Scope, conditions: unknown[]): void => {
    switch (nodeType(item)) {
      case 'RangeVar':
        useRelation(nodeAs(item, 'RangeVar'), scope, 'reads');
        return;
      case 'JoinExpr': {
        const join = nodeAs(item, 'JoinExpr');
        if (join?.larg) addRange(join.larg, scope, conditions);
        if (join?.rarg) addRange(join.rarg, scope, conditions);
        if (join?.quals) conditions.push(join.quals);
        for (const name of stringValues(join?.usingClause)) {
          conditions.push({ ColumnRef: { fields: [{ String: { sval: name } }] } });
        }
        if (join?.alias?.aliasname) scope.others.add(join.alias.aliasname);
        return;
      }
      case 'RangeSubselect': {
        const sub = nodeAs(item, 'RangeSubselect');
        if (sub?.subquery) walkSelect(sub.subquery, sub.lateral ? scope : scope.parent, scope.ctes);
        if (sub?.alias?.aliasname) scope.others.add(sub.alias.aliasname);
        return;
      }
      default:
        walkTree(item, (node) => {
          const alias = nodeAs(node, 'Alias')?.aliasname;
          if (alias) scope.others.add(alias);
          return undefined;
        });
        conditions.push(item);
    }
  };

  const newScope = (parent: Scope | undefined, ctes: Set<string> = new Set()): Scope => ({
    relations: [],
    others: new Set(),
    ctes: new Set(ctes),
    parent,
  });

  function walkSelect(node: Node, parent: Scope | undefined, inheritedCtes?: Set<string>): void {
    const select = nodeAs(node, 'SelectStmt');
    if (select === undefined) return;
    const scope = newScope(parent, inheritedCtes);
    addCtes(select.withClause, scope);
    if (select.larg || select.rarg) {
      if (select.larg) walkSelect({ SelectStmt: select.larg } as Node, scope);
      if (select.rarg) walkSelect({ SelectStmt: select.rarg } as Node, scope);
      return;
    }
    const conditions: unknown[] = [];
    for (const item of nodes(select.fromClause)) addRange(item, scope, conditions);
    walkExpression(
      [
        conditions,
        select.targetList,
        select.whereClause,
        select.groupClause,
        select.havingClause,
        select.windowClause,
        select.sortClause,
        select.distinctClause,
        select.valuesLists,
        select.limitCount,
        select.limitOffset,
      ],
      scope,
    );
  }

  const targetNames = (list: readonly Node[] | undefined): string[] =>
    (list ?? []).flatMap((item) => {
      const name = nodeAs(item, 'ResTarget')?.name;
      return name === undefined ? [] : [name];
    });

  const targetValues = (list: readonly Node[] | undefined): unknown[] =>
    (list ?? []).map((item) => nodeAs(item, 'ResTarget')?.val);

  const setsColumns = (table: string | undefined, list: readonly Node[] | undefined): void => {
    if (table === undefined) return;
    for (const column of targetNames(list)) useColumn(table, column, `sets ${bare(table)}.${column}`);
  };

  // The scope of a statement that changes a table: its CTEs, the table, the relations it reads.
  const changing = (
    statement: { withClause?: { ctes?: Node[] }; relation?: RangeVar } | undefined,
    verb: string,
    ranges: readonly Node[],
    parent: Scope | undefined,
  ) => {
    const scope = newScope(parent);
    addCtes(statement?.withClause, scope);
    const table = useRelation(statement?.relation, scope, verb);
    const conditions: unknown[] = [];
    for (const item of ranges) addRange(item, scope, conditions);
    return { scope, table, conditions };
  };

  function walkStatement(node: Node, parent: Scope | undefined): void {
    switch (nodeType(node)) {
      case 'SelectStmt':
        walkSelect(node, parent);
        return;
      case 'InsertStmt': {
        const insert = nodeAs(node, 'InsertStmt');
        const scope = newScope(parent);
        addCtes(insert?.withClause, scope);
        // The SELECT or VALUES of an INSERT does not see its target table.
        if (insert?.selectStmt) walkSelect(insert.selectStmt, scope);
        const table = useRelation(insert?.relation, scope, 'writes');
        if (table === undefined) return;
        const columns = targetNames(insert?.cols);
        for (const column of columns) useColumn(table, column, `writes ${bare(table)}.${column}`);
        if (columns.length === 0 && insert?.selectStmt) {
          useEveryColumn(
            table,
            `INSERT INTO ${bare(table)} without a column list writes every column by position`,
          );
        }
        const conflict = insert?.onConflictClause;
        if (conflict) {
          const inferred = (conflict.infer?.indexElems ?? []).flatMap((item) => {
            const name = nodeAs(item, 'IndexElem')?.name;
            return name === undefined ? [] : [name];
          });
          for (const column of inferred) useColumn(table, column, `ON CONFLICT (${inferred.join(', ')})`);
          for (const index of targets.uniqueIndexes) {
            if (!sameTable(index.table, table)) continue;
            const byName =
              conflict.infer?.conname !== undefined && index.names.includes(conflict.infer.conname);
            const byColumns =
              inferred.length > 0 &&
              inferred.length === index.columns.length &&
              inferred.every((column) => index.columns.includes(column));
            if (byName) note(index.label, `ON CONFLICT ON CONSTRAINT ${conflict.infer?.conname}`);
            if (byColumns) note(index.label, `ON CONFLICT (${inferred.join(', ')}) infers it`);
          }
          scope.relations.push({ table, alias: 'excluded' });
          setsColumns(table, conflict.targetList);
          walkExpression(
            [targetValues(conflict.targetList), conflict.whereClause, conflict.infer?.whereClause],
            scope,
          );
        }
        walkExpression(insert?.returningList, scope);
        return;
      }
      case 'UpdateStmt': {
        const update = nodeAs(node, 'UpdateStmt');
        const { scope, table, conditions } = changing(update, 'updates', nodes(update?.fromClause), parent);
        setsColumns(table, update?.targetList);
        walkExpression(
          [conditions, targetValues(update?.targetList), update?.whereClause, update?.returningList],
          scope,
        );
        return;
      }
      case 'DeleteStmt': {
        const remove = nodeAs(node, 'DeleteStmt');
        const { scope, conditions } = changing(remove, 'deletes from', nodes(remove?.usingClause), parent);
        walkExpression([conditions, remove?.whereClause, remove?.returningList], scope);
        return;
      }
      case 'MergeStmt': {
        const merge = nodeAs(node, 'MergeStmt');
        const source = merge?.sourceRelation ? [merge.sourceRelation] : [];
        const { scope, table, conditions } = changing(merge, 'merges into', source, parent);
        for (const item of nodes(merge?.mergeWhenClauses)) {
          const when = nodeAs(item, 'MergeWhenClause');
          setsColumns(table, when?.targetList);
          conditions.push(when?.condition, targetValues(when?.targetList), when?.values);
        }
        walkExpression([conditions, merge?.joinCondition], scope);
        return;
      }
      case 'CopyStmt': {
        const copy = nodeAs(node, 'CopyStmt');
        const scope = newScope(parent);
        if (copy?.query) walkStatement(copy.query, scope);
        const table = useRelation(copy?.relation, scope, copy?.is_from ? 'copies into' : 'copies from');
        if (table === undefined) return;
        const columns = stringValues(copy?.attlist);
        for (const column of columns) useColumn(table, column, `copies ${bare(table)}.${column}`);
        if (columns.length === 0 && copy?.is_from) {
          useEveryColumn(
            table,
            `COPY ${bare(table)} FROM without a column list writes every column by position`,
          );
        }
        return;
      }
      default:
        return;
    }
  }

  walkStatement(statement, undefined);
  return [...found.values()];
}

/** Whether a parsed statement is one the evidence check judges: what application code runs. */
export function isApplicationStatement(statement: Node): boolean {
  return ['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt', 'CopyStmt'].includes(
    nodeType(statement) ?? '',
  );
}
