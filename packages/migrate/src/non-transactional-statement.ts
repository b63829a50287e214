import type { SqlNode, SqlStatement } from './sql-parser.js';

type Fields = Record<string, unknown>;

const fieldsOf = (node: SqlNode, kind: string): Fields => (node[kind] ?? {}) as Fields;

const hasDefElem = (list: unknown, name: string): boolean =>
  Array.isArray(list) &&
  list.some((item) => (item as { DefElem?: { defname?: string } }).DefElem?.defname === name);

// Statements PostgreSQL refuses inside a transaction block ("cannot run inside a transaction
// block"), plus ALTER TYPE ... ADD VALUE, whose new value cannot be used until the adding
// transaction commits, so it is run on its own.
const RULES: Record<string, (fields: Fields) => string | undefined> = {
  IndexStmt: (f) => (f.concurrent ? 'CREATE INDEX CONCURRENTLY' : undefined),
  DropStmt: (f) => (f.concurrent ? 'DROP INDEX CONCURRENTLY' : undefined),
  ReindexStmt: (f) =>
    hasDefElem(f.params, 'concurrently')
      ? 'REINDEX CONCURRENTLY'
      : f.kind === 'REINDEX_OBJECT_DATABASE' || f.kind === 'REINDEX_OBJECT_SYSTEM'
        ? 'REINDEX DATABASE/SYSTEM'
        : undefined,
  VacuumStmt: (f) => (f.is_vacuumcmd ? 'VACUUM' : undefined),
  AlterEnumStmt: (f) =>
    f.newVal !== undefined && f.oldVal === undefined ? 'ALTER TYPE ... ADD VALUE' : undefined,
  CreatedbStmt: () => 'CREATE DATABASE',
  DropdbStmt: () => 'DROP DATABASE',
  AlterDatabaseStmt: (f) =>
    hasDefElem(f.options, 'tablespace') ? 'ALTER DATABASE ... SET TABLESPACE' : undefined,
  CreateTableSpaceStmt: () => 'CREATE TABLESPACE',
  DropTableSpaceStmt: () => 'DROP TABLESPACE',
  AlterSystemStmt: () => 'ALTER SYSTEM',
  CreateSubscriptionStmt: () => 'CREATE SUBSCRIPTION',
  AlterSubscriptionStmt: () => 'ALTER SUBSCRIPTION',
  DropSubscriptionStmt: () => 'DROP SUBSCRIPTION',
  ClusterStmt: (f) => (f.relation === undefined ? 'CLUSTER (all tables)' : undefined),
  AlterTableStmt: (f) =>
    Array.isArray(f.cmds) &&
    f.cmds.some((cmd) => {
      const command = (
        cmd as { AlterTableCmd?: { subtype?: string; def?: { PartitionCmd?: { concurrent?: boolean } } } }
      ).AlterTableCmd;
      return command?.subtype === 'AT_DetachPartition' && command.def?.PartitionCmd?.concurrent === true;
    })
      ? 'ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY'
      : undefined,
};

/**
 * Says why a statement cannot run inside a transaction (e.g. `CREATE INDEX CONCURRENTLY`),
 * or returns undefined when it can. Detection reads PostgreSQL's parse tree, so a
 * `CONCURRENTLY` inside a string or comment does not count.
 */
export function nonTransactionalReason(statement: Pick<SqlStatement, 'node' | 'kind'>): string | undefined {
  return RULES[statement.kind]?.(fieldsOf(statement.node, statement.kind));
}

/**
 * Says why a statement is not allowed in a migration at all: transaction control
 * (`BEGIN`, `COMMIT`, `SAVEPOINT`, ...), because the migrator owns the transactions.
 */
export function forbiddenStatementReason(statement: Pick<SqlStatement, 'node' | 'kind'>): string | undefined {
  if (statement.kind === 'TransactionStmt') {
    return 'transaction control (BEGIN/COMMIT/ROLLBACK/SAVEPOINT) is not allowed: the migrator runs each migration in its own transaction, or statement by statement when one cannot run in a transaction';
  }
  return undefined;
}
