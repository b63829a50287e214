import { escapeIdentifier } from '@strata/errors';
import type { Node } from 'libpg-query';
import { embeddedSql } from './lint/embedded-sql.js';
import { emptyKnowledge, type LintContext } from './lint/lint-context.js';
import { hasConcurrentlyOption, isFullVacuum } from './lint/lock-rules.js';
import { nodeAs, nodeType, relationName, stringValues } from './lint/parse-tree.js';
import { writeBlockingLocks } from './lint/transaction-rules.js';
import type { SqlStatement } from './sql-parser.js';
import { blocksWrites, TABLE_LOCK_MODES, type TableLockMode, tableLockModeOf } from './table-lock-mode.js';

/** A lock a statement takes on a table (or index) that blocks writes, and maybe reads. */
export interface StatementLock {
  /** The relation as the statement names it: `orders` or `billing.orders`. */
  relation: string;
  mode: TableLockMode;
  /** What takes it, for messages: `ADD CONSTRAINT orders_fk on orders`, `DROP TABLE orders`. */
  what: string;
  /**
   * DROP TABLE also takes ACCESS EXCLUSIVE on every table a foreign key joins it to (to
   * remove the constraint's triggers there); those tables are found in the catalog.
   */
  foreignKeyPartners?: true;
  /** When the relation is an index: the lock its table gets (REINDEX INDEX takes only SHARE there). */
  indexTableMode?: TableLockMode;
  /** The statement removes the relation (DROP TABLE, DROP INDEX, ...). */
  drops?: true;
}

// The linter's knowledge (writeBlockingLocks) judges tables by whether they exist; at run
// time every table named is taken to exist, and the catalog has the last word.
const RUN_TIME_CONTEXT: LintContext = {
  phase: undefined,
  existingTables: undefined,
  createdTables: [],
  inTransaction: false,
  knowledge: emptyKnowledge(),
  file: '',
  scope: undefined,
  heldLocks: [],
  line: 1,
  catalog: undefined,
};

const DROPPED_RELATIONS: Record<string, string> = {
  OBJECT_TABLE: 'TABLE',
  OBJECT_INDEX: 'INDEX',
  OBJECT_MATVIEW: 'MATERIALIZED VIEW',
  OBJECT_VIEW: 'VIEW',
  OBJECT_SEQUENCE: 'SEQUENCE',
  OBJECT_FOREIGN_TABLE: 'FOREIGN TABLE',
};

const rangeVarNames = (nodes: readonly Node[] | undefined): string[] =>
  (nodes ?? []).map((node) => relationName(nodeAs(node, 'RangeVar')));

// A foreign key takes SHARE ROW EXCLUSIVE on the table it references, also when it comes
// with a new table or a new column (which the linter, judging the new table, leaves aside).
function referencedTables(nodes: readonly Node[] | undefined, what: string): StatementLock[] {
  const constraints = (nodes ?? []).flatMap((node) => {
    const column = nodeAs(node, 'ColumnDef');
    return column ? (column.constraints ?? []) : [node];
  });
  return constraints.flatMap((node) => {
    const constraint = nodeAs(node, 'Constraint');
    if (constraint?.contype !== 'CONSTR_FOREIGN') return [];
    return [{ relation: relationName(constraint.pktable), mode: 'ShareRowExclusiveLock' as const, what }];
  });
}

function topLevelLocks(statement: Node): StatementLock[] {
  switch (nodeType(statement)) {
    case 'CreateStmt': {
      const create = nodeAs(statement, 'CreateStmt');
      return referencedTables(create?.tableElts, `CREATE TABLE ${relationName(create?.relation)}`);
    }
    case 'AlterTableStmt': {
      const alter = nodeAs(statement, 'AlterTableStmt');
      const table = relationName(alter?.relation);
      const newColumns = (alter?.cmds ?? []).flatMap((command) => {
        const cmd = nodeAs(command, 'AlterTableCmd');
        return cmd?.subtype === 'AT_AddColumn' && cmd.def ? [cmd.def] : [];
      });
      return [
        ...writeBlockingLocks(statement, RUN_TIME_CONTEXT).map((lock) => ({
          relation: lock.table,
          mode: tableLockModeOf(lock.mode) ?? 'AccessExclusiveLock',
          what: lock.what,
        })),
        ...referencedTables(newColumns, `ADD COLUMN ... REFERENCES on ${table}`),
      ];
    }
    case 'IndexStmt':
    case 'CreateTrigStmt':
    case 'RenameStmt':
      return writeBlockingLocks(statement, RUN_TIME_CONTEXT).map((lock) => ({
        relation: lock.table,
        mode: tableLockModeOf(lock.mode) ?? 'AccessExclusiveLock',
        what: lock.what,
      }));
    case 'LockStmt': {
      const lock = nodeAs(statement, 'LockStmt');
      const mode = TABLE_LOCK_MODES[(lock?.mode ?? 8) - 1] ?? 'AccessExclusiveLock';
      return rangeVarNames(lock?.relations).map((relation) => ({
        relation,
        mode,
        what: `LOCK TABLE ${relation}`,
      }));
    }
    case 'DropStmt': {
      const drop = nodeAs(statement, 'DropStmt');
      const kind = DROPPED_RELATIONS[drop?.removeType ?? ''];
      if (kind === undefined || drop?.concurrent) return [];
      return (drop?.objects ?? []).map((object) => {
        const relation = stringValues(nodeAs(object, 'List')?.items).join('.');
        return {
          relation,
          mode: 'AccessExclusiveLock' as const,
          what: `DROP ${kind} ${relation}`,
          drops: true as const,
          ...(drop?.removeType === 'OBJECT_TABLE' ? { foreignKeyPartners: true as const } : {}),
        };
      });
    }
    case 'TruncateStmt':
      return rangeVarNames(nodeAs(statement, 'TruncateStmt')?.relations).map((relation) => ({
        relation,
        mode: 'AccessExclusiveLock',
        what: `TRUNCATE ${relation}`,
      }));
    case 'VacuumStmt': {
      const vacuum = nodeAs(statement, 'VacuumStmt');
      if (!vacuum?.is_vacuumcmd || !isFullVacuum(vacuum)) return [];
      return (vacuum.rels ?? []).map((rel) => {
        const relation = relationName(nodeAs(rel, 'VacuumRelation')?.relation);
        return { relation, mode: 'AccessExclusiveLock', what: `VACUUM FULL ${relation}` };
      });
    }
    case 'ClusterStmt': {
      const cluster = nodeAs(statement, 'ClusterStmt');
      if (cluster?.relation === undefined) return [];
      const relation = relationName(cluster.relation);
      return [{ relation, mode: 'AccessExclusiveLock', what: `CLUSTER ${relation}` }];
    }
    case 'ReindexStmt': {
      const reindex = nodeAs(statement, 'ReindexStmt');
      if (hasConcurrentlyOption(reindex?.params) || reindex?.relation === undefined) return [];
      const relation = relationName(reindex.relation);
      return reindex.kind === 'REINDEX_OBJECT_INDEX'
        ? [
            {
              relation,
              mode: 'AccessExclusiveLock',
              what: `REINDEX INDEX ${relation}`,
              indexTableMode: 'ShareLock',
            },
          ]
        : [{ relation, mode: 'ShareLock', what: `REINDEX TABLE ${relation}` }];
    }
    case 'RefreshMatViewStmt': {
      const refresh = nodeAs(statement, 'RefreshMatViewStmt');
      const relation = relationName(refresh?.relation);
      return [
        {
          relation,
          mode: refresh?.concurrent ? 'ExclusiveLock' : 'AccessExclusiveLock',
          what: `REFRESH MATERIALIZED VIEW ${refresh?.concurrent ? 'CONCURRENTLY ' : ''}${relation}`,
        },
      ];
    }
    default:
      return [];
  }
}

/**
 * The locks that block writes (SHARE and stronger; ACCESS EXCLUSIVE blocks reads too) that a
 * statement takes on tables, read from PostgreSQL's parse tree with the linter's lock
 * knowledge, including the statements a DO block runs. Statements it does not know (and
 * `EXECUTE` of computed strings) contribute none; the catalog decides at run time which
 * named relations exist.
 */
export async function statementLocks(statement: SqlStatement): Promise<StatementLock[]> {
  const embedded = await embeddedSql(statement);
  const nodes =
    embedded?.kind === 'do'
      ? embedded.statements.map((inner) => inner.node)
      : embedded === undefined
        ? [statement.node as Node]
        : [];
  return nodes
    .flatMap(topLevelLocks)
    .filter((lock) => lock.relation !== '?' && lock.relation !== '' && blocksWrites(lock.mode));
}

/**
 * The relation name quoted for `to_regclass` (a query parameter, never SQL text):
 * `"billing"."orders"`. The names come from PostgreSQL's parser, which already accepted them.
 */
export const quotedRelation = (relation: string): string =>
  relation.split('.').slice(-2).map(escapeIdentifier).join('.');
