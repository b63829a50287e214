import type { Node } from 'libpg-query';
import { nodeAs, nodeType, relationName, stringValues } from '../lint/parse-tree.js';
import type { SqlStatement } from '../sql-parser.js';

/** How a contract takes a name away from the code that uses it. */
export type Removal = 'drop' | 'rename' | 'set-schema';

/** Something a migration removes, as its parsed statements say. */
export type DroppedObject =
  | { kind: 'table'; table: string; removal: Removal; line: number }
  | { kind: 'column'; table: string; column: string; removal: Removal; line: number }
  | { kind: 'index'; index: string; removal: Removal; line: number }
  | { kind: 'constraint'; table: string; constraint: string; removal: Removal; line: number };

const RELATION_KINDS = new Set(['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_FOREIGN_TABLE']);

/** `drop column orders.note (line 3)`, for reports. */
export function describeDropped(object: DroppedObject): string {
  const verb = object.removal === 'drop' ? 'drop' : object.removal === 'rename' ? 'rename' : 'move';
  switch (object.kind) {
    case 'table':
      return `${verb} table ${object.table}`;
    case 'column':
      return `${verb} column ${object.table}.${object.column}`;
    case 'index':
      return `${verb} index ${object.index}`;
    case 'constraint':
      return `${verb} constraint ${object.constraint} on ${object.table}`;
  }
}

/**
 * What the statements remove that queries name: tables and views (DROP, RENAME, SET
 * SCHEMA), columns (DROP COLUMN, RENAME COLUMN), indexes (DROP INDEX, ALTER INDEX RENAME) and
 * constraints (DROP CONSTRAINT, RENAME CONSTRAINT), read from PostgreSQL's parse tree.
 */
export function droppedObjects(statements: readonly Pick<SqlStatement, 'node' | 'line'>[]): DroppedObject[] {
  return statements.flatMap((statement) => removedBy(statement.node as Node, statement.line));
}

function removedBy(node: Node, line: number): DroppedObject[] {
  switch (nodeType(node)) {
    case 'DropStmt': {
      const drop = nodeAs(node, 'DropStmt');
      const names = (drop?.objects ?? []).map((object) =>
        stringValues(nodeAs(object, 'List')?.items).join('.'),
      );
      if (RELATION_KINDS.has(drop?.removeType ?? '')) {
        return names.map((table) => ({ kind: 'table', table, removal: 'drop', line }));
      }
      if (drop?.removeType === 'OBJECT_INDEX') {
        return names.map((index) => ({ kind: 'index', index, removal: 'drop', line }));
      }
      return [];
    }
    case 'AlterTableStmt': {
      const alter = nodeAs(node, 'AlterTableStmt');
      const table = relationName(alter?.relation);
      return (alter?.cmds ?? []).flatMap((command): DroppedObject[] => {
        const cmd = nodeAs(command, 'AlterTableCmd');
        if (cmd?.name === undefined) return [];
        if (cmd.subtype === 'AT_DropColumn')
          return [{ kind: 'column', table, column: cmd.name, removal: 'drop', line }];
        if (cmd.subtype === 'AT_DropConstraint') {
          return [{ kind: 'constraint', table, constraint: cmd.name, removal: 'drop', line }];
        }
        return [];
      });
    }
    case 'RenameStmt': {
      const rename = nodeAs(node, 'RenameStmt');
      const relation = relationName(rename?.relation);
      switch (rename?.renameType) {
        case 'OBJECT_TABLE':
        case 'OBJECT_VIEW':
        case 'OBJECT_MATVIEW':
        case 'OBJECT_FOREIGN_TABLE':
          return [{ kind: 'table', table: relation, removal: 'rename', line }];
        case 'OBJECT_COLUMN':
          return rename.subname
            ? [{ kind: 'column', table: relation, column: rename.subname, removal: 'rename', line }]
            : [];
        case 'OBJECT_INDEX':
          return [{ kind: 'index', index: relation, removal: 'rename', line }];
        case 'OBJECT_TABCONSTRAINT':
          return rename.subname
            ? [{ kind: 'constraint', table: relation, constraint: rename.subname, removal: 'rename', line }]
            : [];
        default:
          return [];
      }
    }
    case 'AlterObjectSchemaStmt': {
      const move = nodeAs(node, 'AlterObjectSchemaStmt');
      if (!RELATION_KINDS.has(move?.objectType ?? '')) return [];
      return [{ kind: 'table', table: relationName(move?.relation), removal: 'set-schema', line }];
    }
    default:
      return [];
  }
}
