import type { ColumnDef, Node } from 'libpg-query';
import type { RuleFinding } from './lint-context.js';
import {
  hasTypeModifier,
  nodeAs,
  nodeType,
  relationName,
  stringValues,
  typeBaseName,
  typeDisplayName,
} from './parse-tree.js';

/** Type hygiene: text over varchar(n)/char(n), timestamptz over timestamp, bigint keys. */
export function checkTypes(statement: Node): RuleFinding[] {
  switch (nodeType(statement)) {
    case 'CreateStmt': {
      const create = nodeAs(statement, 'CreateStmt');
      const table = relationName(create?.relation);
      const columns = (create?.tableElts ?? []).flatMap((element) => {
        const column = nodeAs(element, 'ColumnDef');
        return column ? [column] : [];
      });
      // A table-level PRIMARY KEY (id) names its column instead of sitting on it.
      const tableKeys = (create?.tableElts ?? []).flatMap((element) => {
        const constraint = nodeAs(element, 'Constraint');
        return constraint?.contype === 'CONSTR_PRIMARY' ? [stringValues(constraint.keys)] : [];
      });
      const singleKey = tableKeys.find((keys) => keys.length === 1)?.[0];
      return columns.flatMap((column) => [
        ...checkColumnType(column, table),
        ...checkPrimaryKeyType(column, table, column.colname === singleKey),
      ]);
    }
    case 'AlterTableStmt': {
      const alter = nodeAs(statement, 'AlterTableStmt');
      const table = relationName(alter?.relation);
      return (alter?.cmds ?? []).flatMap((command) => {
        const cmd = nodeAs(command, 'AlterTableCmd');
        const column = nodeAs(cmd?.def, 'ColumnDef');
        if (column === undefined) return [];
        if (cmd?.subtype === 'AT_AddColumn') {
          return [...checkColumnType(column, table), ...checkPrimaryKeyType(column, table, false)];
        }
        if (cmd?.subtype === 'AT_AlterColumnType') {
          return checkColumnType({ ...column, colname: cmd.name }, table);
        }
        return [];
      });
    }
    default:
      return [];
  }
}

function checkColumnType(column: ColumnDef, table: string): RuleFinding[] {
  const base = typeBaseName(column.typeName);
  const name = `${table}.${column.colname ?? '?'}`;
  const location = column.typeName?.location ?? column.location;
  const written = typeDisplayName(column.typeName);
  if ((base === 'varchar' && hasTypeModifier(column.typeName)) || base === 'bpchar') {
    return [
      {
        ruleId: 'prefer-text',
        message: `${name} is ${base === 'bpchar' ? written.replace('bpchar', 'char') : written}; prefer text.`,
        location,
      },
    ];
  }
  if (base === 'timestamp') {
    return [
      {
        ruleId: 'prefer-timestamptz',
        message: `${name} is timestamp without time zone; prefer timestamptz.`,
        location,
      },
    ];
  }
  return [];
}

const NARROW_KEY_TYPES: Record<string, string> = {
  int2: 'smallint',
  int4: 'integer',
  serial: 'serial',
  serial2: 'smallserial',
  serial4: 'serial',
  smallserial: 'smallserial',
};

function checkPrimaryKeyType(column: ColumnDef, table: string, isTableKey: boolean): RuleFinding[] {
  const isKey =
    isTableKey ||
    (column.constraints ?? []).some((node) => nodeAs(node, 'Constraint')?.contype === 'CONSTR_PRIMARY');
  const narrow = NARROW_KEY_TYPES[typeBaseName(column.typeName)];
  if (!isKey || narrow === undefined) return [];
  return [
    {
      ruleId: 'prefer-bigint-primary-key',
      message: `Primary key ${table}.${column.colname ?? '?'} is ${narrow}; prefer bigint GENERATED ALWAYS AS IDENTITY.`,
      location: column.typeName?.location ?? column.location,
    },
  ];
}
