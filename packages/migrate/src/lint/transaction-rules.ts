import type { AlterTableCmd, Node } from 'libpg-query';
import {
  type HeldLock,
  isExistingTable,
  type LintContext,
  type RuleFinding,
  sameTable,
} from './lint-context.js';
import { nodeAs, nodeType, relationName } from './parse-tree.js';

// ALTER TABLE sub-commands that take only SHARE UPDATE EXCLUSIVE (reads and writes go on);
// every other one takes a lock that blocks writes, most ACCESS EXCLUSIVE.
const NON_BLOCKING_SUBCOMMANDS = new Set([
  'AT_ValidateConstraint',
  'AT_SetStatistics',
  'AT_ClusterOn',
  'AT_DropCluster',
  'AT_SetRelOptions',
  'AT_ResetRelOptions',
  'AT_AttachPartition',
]);

type TakenLock = Omit<HeldLock, 'line'>;

function alterTableLocks(cmd: AlterTableCmd, table: string): TakenLock[] {
  if (NON_BLOCKING_SUBCOMMANDS.has(cmd.subtype ?? '')) return [];
  if (cmd.subtype === 'AT_DetachPartition' && nodeAs(cmd.def, 'PartitionCmd')?.concurrent) return [];
  const constraint = cmd.subtype === 'AT_AddConstraint' ? nodeAs(cmd.def, 'Constraint') : undefined;
  const words = (cmd.subtype ?? 'AT_')
    .replace(/^AT_/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase();
  const what = constraint
    ? `ADD CONSTRAINT${constraint.conname ? ` ${constraint.conname}` : ''} on ${table}`
    : `${words}${cmd.name ? ` ${cmd.name}` : ''} on ${table}`;
  if (constraint?.contype === 'CONSTR_FOREIGN') {
    const referenced = relationName(constraint.pktable);
    return [
      { table, mode: 'SHARE ROW EXCLUSIVE', what },
      { table: referenced, mode: 'SHARE ROW EXCLUSIVE', what },
    ];
  }
  return [{ table, mode: 'ACCESS EXCLUSIVE', what }];
}

/**
 * The locks a statement takes that block writes (INSERT, UPDATE, DELETE) on tables other
 * sessions use; a transaction holds them until it commits.
 */
export function writeBlockingLocks(statement: Node, context: LintContext): TakenLock[] {
  const existing = (locks: TakenLock[]): TakenLock[] =>
    locks.filter((lock) => isExistingTable(context, lock.table));
  switch (nodeType(statement)) {
    case 'AlterTableStmt': {
      const alter = nodeAs(statement, 'AlterTableStmt');
      const table = relationName(alter?.relation);
      return existing(
        (alter?.cmds ?? []).flatMap((command) => {
          const cmd = nodeAs(command, 'AlterTableCmd');
          return cmd ? alterTableLocks(cmd, table) : [];
        }),
      );
    }
    case 'IndexStmt': {
      const index = nodeAs(statement, 'IndexStmt');
      if (index?.concurrent) return [];
      const table = relationName(index?.relation);
      return existing([{ table, mode: 'SHARE', what: `CREATE INDEX on ${table}` }]);
    }
    case 'CreateTrigStmt': {
      const table = relationName(nodeAs(statement, 'CreateTrigStmt')?.relation);
      return existing([{ table, mode: 'SHARE ROW EXCLUSIVE', what: `CREATE TRIGGER on ${table}` }]);
    }
    case 'RenameStmt': {
      const rename = nodeAs(statement, 'RenameStmt');
      if (rename?.relation === undefined) return [];
      const table = relationName(rename.relation);
      return existing([{ table, mode: 'ACCESS EXCLUSIVE', what: `RENAME on ${table}` }]);
    }
    case 'LockStmt': {
      const lock = nodeAs(statement, 'LockStmt');
      // Modes 5 (SHARE) and up conflict with the ROW EXCLUSIVE lock writers take.
      if ((lock?.mode ?? 8) < 5) return [];
      return existing(
        (lock?.relations ?? []).map((relation) => {
          const table = relationName(nodeAs(relation, 'RangeVar'));
          return { table, mode: 'the requested', what: `LOCK TABLE ${table}` };
        }),
      );
    }
    default:
      return [];
  }
}

/**
 * VALIDATE CONSTRAINT in a transaction that already holds a write-blocking lock on the same
 * table: the validation scan then runs while every writer waits.
 */
export function checkValidateWhileLocked(statement: Node, context: LintContext): RuleFinding[] {
  const alter = nodeAs(statement, 'AlterTableStmt');
  if (alter === undefined) return [];
  const table = relationName(alter.relation);
  if (!isExistingTable(context, table)) return [];
  const commands = (alter.cmds ?? []).flatMap((command) => {
    const cmd = nodeAs(command, 'AlterTableCmd');
    return cmd ? [cmd] : [];
  });
  // Sub-commands of one ALTER TABLE all run under the strongest lock any of them needs.
  const sameStatement = commands
    .flatMap((cmd) => alterTableLocks(cmd, table))
    .find((lock) => sameTable(lock.table, table));
  const held = context.heldLocks.find((lock) => sameTable(lock.table, table));
  const holder = held
    ? `${held.what} (line ${held.line}), earlier in the same transaction,`
    : sameStatement
      ? `${sameStatement.what}, in the same ALTER TABLE,`
      : undefined;
  if (holder === undefined) return [];
  const mode = held?.mode ?? sameStatement?.mode ?? 'ACCESS EXCLUSIVE';
  return commands
    .filter((cmd) => cmd.subtype === 'AT_ValidateConstraint')
    .map((cmd) => ({
      ruleId: 'validate-in-locking-transaction' as const,
      message: `VALIDATE CONSTRAINT ${cmd.name ?? '?'} on ${table} runs while ${holder} holds ${mode} lock on ${table}: writes wait for the whole validation scan.`,
      lock: `${mode} on ${table} from ${held?.what ?? sameStatement?.what}, held through the VALIDATE's full scan of ${table}: every INSERT, UPDATE and DELETE on it waits.`,
    }));
}
