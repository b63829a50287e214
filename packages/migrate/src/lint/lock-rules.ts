import type { ColumnDef, Constraint, Node } from 'libpg-query';
import { checkAlterColumnType } from './column-type-change.js';
import { isExistingTable, type LintContext, type RuleFinding, sameTable } from './lint-context.js';
import { nodeAs, nodeType, relationName, stringValues, typeBaseName, walkTree } from './parse-tree.js';

/** Locks and rewrites: statements that block reads or writes on a table other sessions use. */
export function checkLocks(statement: Node, context: LintContext): RuleFinding[] {
  return [
    ...checkConcurrentlyInTransaction(statement, context),
    ...checkBlockingStatement(statement, context),
  ];
}

function checkBlockingStatement(statement: Node, context: LintContext): RuleFinding[] {
  switch (nodeType(statement)) {
    case 'IndexStmt': {
      const index = nodeAs(statement, 'IndexStmt');
      const table = relationName(index?.relation);
      if (index?.concurrent || !isExistingTable(context, table)) return [];
      return [
        {
          ruleId: 'create-index-without-concurrently',
          message: `CREATE ${index?.unique ? 'UNIQUE ' : ''}INDEX on existing table ${table} without CONCURRENTLY.`,
          table,
          lock: `SHARE lock on ${table} for the whole index build: every INSERT, UPDATE and DELETE on it waits.`,
        },
      ];
    }
    case 'AlterTableStmt': {
      const alter = nodeAs(statement, 'AlterTableStmt');
      const table = relationName(alter?.relation);
      if (!isExistingTable(context, table)) return [];
      return (alter?.cmds ?? []).flatMap((command) => {
        const cmd = nodeAs(command, 'AlterTableCmd');
        switch (cmd?.subtype) {
          case 'AT_AddConstraint': {
            const constraint = nodeAs(cmd.def, 'Constraint');
            return constraint ? checkAddedConstraint(constraint, table) : [];
          }
          case 'AT_AddColumn': {
            const column = nodeAs(cmd.def, 'ColumnDef');
            return column ? checkAddedColumn(column, table) : [];
          }
          case 'AT_AlterColumnType':
            return checkAlterColumnType(context, table, cmd.name ?? '?', nodeAs(cmd.def, 'ColumnDef'));
          case 'AT_SetNotNull': {
            const column = cmd.name ?? '?';
            const proven = context.knowledge.notNullChecks.some(
              (check) => check.validated && sameTable(check.table, table) && check.columns.includes(column),
            );
            if (proven) return [];
            return [
              {
                ruleId: 'set-not-null-without-check',
                message: `SET NOT NULL on ${table}.${column} with no validated CHECK (${column} IS NOT NULL) before it.`,
                table,
                lock: `ACCESS EXCLUSIVE on ${table} while every row is scanned for NULLs: all reads and writes wait.`,
              },
            ];
          }
          default:
            return [];
        }
      });
    }
    case 'VacuumStmt': {
      const vacuum = nodeAs(statement, 'VacuumStmt');
      const full = (vacuum?.options ?? []).some((option) => {
        const element = nodeAs(option, 'DefElem');
        return element?.defname === 'full' && isEnabledOption(element.arg);
      });
      if (!vacuum?.is_vacuumcmd || !full) return [];
      return [{ ruleId: 'vacuum-full', message: 'VACUUM FULL rewrites the table under ACCESS EXCLUSIVE.' }];
    }
    case 'ClusterStmt': {
      const table = relationName(nodeAs(statement, 'ClusterStmt')?.relation);
      return [
        { ruleId: 'cluster', message: `CLUSTER ${table} rewrites the table under ACCESS EXCLUSIVE.`, table },
      ];
    }
    case 'LockStmt': {
      const lock = nodeAs(statement, 'LockStmt');
      const tables = (lock?.relations ?? [])
        .map((relation) => relationName(nodeAs(relation, 'RangeVar')))
        .join(', ');
      const mode = LOCK_MODES[lock?.mode ?? 8] ?? 'ACCESS EXCLUSIVE';
      return [
        {
          ruleId: 'lock-table',
          message: `LOCK TABLE ${tables} IN ${mode} MODE.`,
          lock: `${mode} on ${tables} until the migration commits.`,
        },
      ];
    }
    case 'ReindexStmt': {
      if (hasConcurrentlyOption(nodeAs(statement, 'ReindexStmt')?.params)) return [];
      return [{ ruleId: 'reindex-without-concurrently', message: 'REINDEX without CONCURRENTLY.' }];
    }
    case 'DropStmt': {
      const drop = nodeAs(statement, 'DropStmt');
      if (drop?.removeType !== 'OBJECT_INDEX' || drop.concurrent) return [];
      return [{ ruleId: 'drop-index-without-concurrently', message: 'DROP INDEX without CONCURRENTLY.' }];
    }
    default:
      return [];
  }
}

// LockStmt.mode is PostgreSQL's lock mode number (lockdefs.h).
const LOCK_MODES: Record<number, string> = {
  1: 'ACCESS SHARE',
  2: 'ROW SHARE',
  3: 'ROW EXCLUSIVE',
  4: 'SHARE UPDATE EXCLUSIVE',
  5: 'SHARE',
  6: 'SHARE ROW EXCLUSIVE',
  7: 'EXCLUSIVE',
  8: 'ACCESS EXCLUSIVE',
};

// `VACUUM (FULL false)` / `(FULL off)` / `(FULL 0)` turn the option off; a bare `FULL` has no arg.
function isEnabledOption(arg: Node | undefined): boolean {
  if (arg === undefined) return true;
  const boolean = nodeAs(arg, 'Boolean');
  if (boolean) return boolean.boolval === true;
  const text = nodeAs(arg, 'String')?.sval?.toLowerCase();
  if (text !== undefined) return !['false', 'off', 'no', '0'].includes(text);
  const integer = nodeAs(arg, 'Integer');
  if (integer) return (integer.ival ?? 0) !== 0;
  const constant = nodeAs(arg, 'A_Const');
  if (constant) return constant.boolval?.boolval === true || (constant.ival?.ival ?? 0) !== 0;
  return true;
}

function hasConcurrentlyOption(params: readonly Node[] | undefined): boolean {
  return (params ?? []).some((param) => {
    const element = nodeAs(param, 'DefElem');
    return element?.defname === 'concurrently' && isEnabledOption(element.arg);
  });
}

function checkAddedConstraint(constraint: Constraint, table: string): RuleFinding[] {
  const name = constraint.conname ? ` ${constraint.conname}` : '';
  const location = constraint.location;
  switch (constraint.contype) {
    case 'CONSTR_FOREIGN': {
      if (constraint.skip_validation) return [];
      const referenced = relationName(constraint.pktable);
      return [
        {
          ruleId: 'add-foreign-key-without-not-valid',
          message: `ADD CONSTRAINT${name} FOREIGN KEY on existing table ${table} without NOT VALID.`,
          location,
          table,
          lock: `SHARE ROW EXCLUSIVE on ${table} and ${referenced} while every row of ${table} is checked: writes to both wait.`,
        },
      ];
    }
    case 'CONSTR_CHECK':
      if (constraint.skip_validation) return [];
      return [
        {
          ruleId: 'add-check-without-not-valid',
          message: `ADD CONSTRAINT${name} CHECK on existing table ${table} without NOT VALID.`,
          location,
          table,
          lock: `ACCESS EXCLUSIVE on ${table} while every row is checked: all reads and writes wait.`,
        },
      ];
    case 'CONSTR_PRIMARY':
    case 'CONSTR_UNIQUE': {
      if (constraint.indexname !== undefined) return [];
      const kind = constraint.contype === 'CONSTR_PRIMARY' ? 'PRIMARY KEY' : 'UNIQUE';
      return [
        {
          ruleId: 'add-unique-constraint',
          message: `ADD CONSTRAINT${name} ${kind} on existing table ${table} builds its index while holding ACCESS EXCLUSIVE.`,
          location,
          table,
          lock: `ACCESS EXCLUSIVE on ${table} while the unique index is built: all reads and writes wait.`,
          safeAlternative: `CREATE UNIQUE INDEX CONCURRENTLY in expand, then ALTER TABLE ${table} ADD CONSTRAINT ... ${kind} USING INDEX <index> in validate.`,
        },
      ];
    }
    default:
      return [];
  }
}

/** Types whose column gets a nextval() default. */
export const SERIAL_TYPES = new Set(['serial', 'serial2', 'serial4', 'serial8', 'smallserial', 'bigserial']);

function checkAddedColumn(column: ColumnDef, table: string): RuleFinding[] {
  const findings: RuleFinding[] = [];
  const name = `${table}.${column.colname ?? '?'}`;
  const constraints = (column.constraints ?? []).flatMap((node) => {
    const constraint = nodeAs(node, 'Constraint');
    return constraint ? [constraint] : [];
  });
  const rewrite = (reason: string, location: number | undefined): void => {
    findings.push({
      ruleId: 'volatile-default-on-new-column',
      message: `ADD COLUMN ${name} ${reason}: PostgreSQL computes it for every existing row.`,
      location,
      table,
      lock: `ACCESS EXCLUSIVE on ${table} while every row is rewritten: all reads and writes wait.`,
    });
  };

  let hasValue = false;
  if (SERIAL_TYPES.has(typeBaseName(column.typeName))) {
    hasValue = true;
    rewrite(`is ${typeBaseName(column.typeName)} (a nextval() default)`, column.location);
  }
  for (const constraint of constraints) {
    switch (constraint.contype) {
      case 'CONSTR_DEFAULT': {
        hasValue = true;
        const volatile = volatilityProblem(constraint.raw_expr);
        if (volatile) rewrite(`has DEFAULT ${volatile}`, constraint.location);
        break;
      }
      case 'CONSTR_IDENTITY':
        hasValue = true;
        rewrite('is GENERATED AS IDENTITY', constraint.location);
        break;
      case 'CONSTR_GENERATED':
        hasValue = true;
        rewrite('is GENERATED ... STORED', constraint.location);
        break;
      case 'CONSTR_FOREIGN':
      case 'CONSTR_CHECK':
      case 'CONSTR_PRIMARY':
      case 'CONSTR_UNIQUE':
        findings.push(...checkAddedConstraint(constraint, table));
        break;
      default:
        break;
    }
  }
  const notNull = constraints.find((constraint) => constraint.contype === 'CONSTR_NOTNULL');
  if (notNull && !hasValue) {
    findings.push({
      ruleId: 'add-column-not-null-without-default',
      message: `ADD COLUMN ${name} NOT NULL without a DEFAULT fails on a table that has rows.`,
      location: notNull.location,
    });
  }
  return findings;
}

// Functions whose result does not depend on the row, so PostgreSQL 11+ evaluates the default
// once and stores it in the catalogue instead of rewriting the table. Conservative: a
// function not listed here is reported, and can be waived when it is known to be stable.
const ROW_INDEPENDENT_FUNCTIONS = new Set([
  'now',
  'transaction_timestamp',
  'statement_timestamp',
  'current_setting',
  'lower',
  'upper',
  'btrim',
  'ltrim',
  'rtrim',
  'concat',
  'concat_ws',
  'length',
  'substr',
  'substring',
  'replace',
  'left',
  'right',
  'abs',
  'round',
  'floor',
  'ceil',
  'md5',
  'to_char',
  'to_date',
  'to_timestamp',
  'date_trunc',
  'timezone',
  'make_date',
  'make_time',
  'make_timestamp',
  'make_timestamptz',
  'make_interval',
  'json_build_object',
  'jsonb_build_object',
  'json_build_array',
  'jsonb_build_array',
  'to_json',
  'to_jsonb',
  'array_fill',
]);

const VOLATILE_FUNCTIONS = new Set([
  'random',
  'gen_random_uuid',
  'uuid_generate_v1',
  'uuid_generate_v1mc',
  'uuid_generate_v4',
  'uuidv4',
  'uuidv7',
  'clock_timestamp',
  'timeofday',
  'nextval',
  'txid_current',
  'pg_current_xact_id',
]);

// Expression nodes that cannot make a default depend on the row or on when it is evaluated.
const CONSTANT_NODES = new Set([
  'A_Const',
  'TypeCast',
  'A_Expr',
  'BoolExpr',
  'NullTest',
  'BooleanTest',
  'SQLValueFunction',
  'A_ArrayExpr',
  'CoalesceExpr',
  'MinMaxExpr',
  'CaseExpr',
  'CaseWhen',
  'RowExpr',
  'CollateClause',
  'List',
  'String',
  'Integer',
  'Float',
  'Boolean',
  'TypeName',
  'FuncCall',
]);

/**
 * Why a default expression is computed per row (`gen_random_uuid() (volatile)`), or
 * `undefined` when it is a constant or stable expression stored once.
 */
function volatilityProblem(expression: Node | undefined): string | undefined {
  let problem: string | undefined;
  walkTree(expression, (node) => {
    if (problem !== undefined) return false;
    const type = nodeType(node) ?? '';
    if (!CONSTANT_NODES.has(type)) {
      problem = `with a ${type} expression`;
      return false;
    }
    const call = nodeAs(node, 'FuncCall');
    if (call) {
      const names = stringValues(call.funcname);
      const name = names[names.length - 1] ?? '?';
      if (VOLATILE_FUNCTIONS.has(name)) problem = `${name}() (volatile)`;
      else if (!ROW_INDEPENDENT_FUNCTIONS.has(name)) {
        problem = `${names.join('.')}() (not known to be stable; waive if it is STABLE or IMMUTABLE)`;
      }
    }
    return undefined;
  });
  return problem;
}

const isConcurrentIndexStatement = (statement: Node): string | undefined => {
  switch (nodeType(statement)) {
    case 'IndexStmt':
      return nodeAs(statement, 'IndexStmt')?.concurrent ? 'CREATE INDEX CONCURRENTLY' : undefined;
    case 'DropStmt':
      return nodeAs(statement, 'DropStmt')?.concurrent ? 'DROP INDEX CONCURRENTLY' : undefined;
    case 'ReindexStmt':
      return hasConcurrentlyOption(nodeAs(statement, 'ReindexStmt')?.params)
        ? 'REINDEX CONCURRENTLY'
        : undefined;
    case 'AlterTableStmt': {
      const detachesConcurrently = (nodeAs(statement, 'AlterTableStmt')?.cmds ?? []).some((command) => {
        const cmd = nodeAs(command, 'AlterTableCmd');
        return cmd?.subtype === 'AT_DetachPartition' && nodeAs(cmd.def, 'PartitionCmd')?.concurrent === true;
      });
      return detachesConcurrently ? 'DETACH PARTITION CONCURRENTLY' : undefined;
    }
    default:
      return undefined;
  }
};

function checkConcurrentlyInTransaction(statement: Node, context: LintContext): RuleFinding[] {
  const what = isConcurrentIndexStatement(statement);
  if (what === undefined || !context.inTransaction) return [];
  return [{ ruleId: 'concurrently-in-transaction', message: `${what} inside an explicit BEGIN ... COMMIT.` }];
}
