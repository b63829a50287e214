import type { AlterTableCmd, Node } from 'libpg-query';
import type { MigrationPhase } from '../migration-phase.js';
import { isExistingTable, type LintContext, type RuleFinding } from './lint-context.js';
import type { LintRuleId } from './lint-rules.js';
import { firstLocation, nodeAs, nodeType, relationName, stringValues } from './parse-tree.js';

/**
 * What kind of change a statement (or one ALTER TABLE sub-command) makes:
 * - `add`: a new object or column, a default, a plain index — expand.
 * - `constraint`: a NOT VALID constraint or a unique index — expand or validate.
 * - `tighten`: VALIDATE CONSTRAINT, SET NOT NULL, a validated constraint, USING INDEX — validate.
 * - `relax`: DROP NOT NULL, DROP DEFAULT — expand (before code stops writing) or contract.
 * - `data`: INSERT/UPDATE/DELETE/MERGE/COPY/REFRESH — backfill.
 * - `remove`, `rename`: contract only.
 * - `neutral`: allowed anywhere (SET, SELECT, COMMENT, GRANT, transaction control, ...), and
 *   changes the lock rules already judge (ALTER COLUMN TYPE).
 */
type ChangeKind = 'add' | 'constraint' | 'tighten' | 'relax' | 'data' | 'remove' | 'rename' | 'neutral';

interface Change {
  kind: ChangeKind;
  /**
   * The change is to a table no deployed code uses yet (created earlier in this file, or
   * absent from `existingTables`): it may also come wherever additions may.
   */
  onNewTable?: boolean;
  /** What it is, for the message: `DROP COLUMN orders.price`. */
  what: string;
  location?: number | undefined;
  /** The effect on the deployed code, when the rule's generic text does not fit. */
  effect?: string;
}

const DROP_INDEX_EFFECT =
  'Queries the deployed code runs that use the index get slower as soon as it runs (a unique index also stops enforcing uniqueness, and INSERT ... ON CONFLICT on its columns fails).';
const DROP_CONSTRAINT_EFFECT =
  'The constraint stops being enforced as soon as it runs: the deployed code may rely on it (INSERT ... ON CONFLICT on a dropped unique constraint fails).';

const ALLOWED: Record<MigrationPhase, readonly ChangeKind[]> = {
  expand: ['add', 'constraint', 'relax', 'neutral'],
  backfill: ['data', 'neutral'],
  validate: ['constraint', 'tighten', 'neutral'],
  contract: ['remove', 'rename', 'relax', 'neutral'],
};

const BELONGS_IN: Record<ChangeKind, string> = {
  add: 'an expand migration',
  constraint: 'an expand or validate migration',
  tighten: 'a validate migration',
  relax: 'an expand or contract migration',
  data: 'a backfill migration',
  remove: 'a contract migration',
  rename: 'a contract migration',
  neutral: 'any migration',
};

const PHASE_RULE: Record<MigrationPhase, LintRuleId> = {
  expand: 'expand-not-additive',
  backfill: 'backfill-not-data-only',
  validate: 'validate-not-tightening',
  contract: 'contract-not-removal',
};

/** Phase fit: every change in the statement must be of a kind its migration's phase allows. */
export function checkPhaseFit(statement: Node, context: LintContext): RuleFinding[] {
  const phase = context.phase;
  if (phase === undefined) return [];
  const allowed = ALLOWED[phase];
  return changesOf(statement, context).flatMap((change): RuleFinding[] => {
    if (allowed.includes(change.kind)) return [];
    if (change.onNewTable && allowed.includes('add')) return [];
    const ruleId: LintRuleId =
      change.kind === 'remove'
        ? 'drop-outside-contract'
        : change.kind === 'rename'
          ? 'rename-outside-contract'
          : PHASE_RULE[phase];
    return [
      {
        ruleId,
        message: `${change.what} in ${phase === 'expand' ? 'an' : 'a'} ${phase} migration; it belongs in ${BELONGS_IN[change.kind]}.`,
        location: change.location,
        ...(change.effect === undefined ? {} : { lock: change.effect }),
      },
    ];
  });
}

const objectTypeName = (objectType: string | undefined): string =>
  (objectType ?? 'OBJECT').replace(/^OBJECT_/, '').replaceAll('_', ' ');

function changesOf(statement: Node, context: LintContext): Change[] {
  const type = nodeType(statement);
  switch (type) {
    case 'CreateStmt':
      return [add(`CREATE TABLE ${relationName(nodeAs(statement, 'CreateStmt')?.relation)}`)];
    case 'CreateTableAsStmt':
      return [add('CREATE TABLE AS / MATERIALIZED VIEW')];
    case 'ViewStmt':
      return [add(`CREATE VIEW ${relationName(nodeAs(statement, 'ViewStmt')?.view)}`)];
    case 'IndexStmt': {
      const index = nodeAs(statement, 'IndexStmt');
      const table = relationName(index?.relation);
      const what = `CREATE ${index?.unique ? 'UNIQUE ' : ''}INDEX on ${table}`;
      // A unique index enforces a rule on existing data, so it may also come in validate
      // (before ADD CONSTRAINT ... USING INDEX).
      const kind = index?.unique ? 'constraint' : 'add';
      const onNewTable = !isExistingTable(context, table);
      return [{ kind, what, location: index?.relation?.location, onNewTable }];
    }
    case 'CreateSeqStmt':
    case 'CreateSchemaStmt':
    case 'CreateEnumStmt':
    case 'CompositeTypeStmt':
    case 'CreateDomainStmt':
    case 'CreateRangeStmt':
    case 'CreateExtensionStmt':
    case 'CreatePolicyStmt':
    case 'CreateStatsStmt':
      return [add(type.replace(/Stmt$/, ''))];
    case 'AlterEnumStmt': {
      const alter = nodeAs(statement, 'AlterEnumStmt');
      const name = stringValues(alter?.typeName).join('.');
      return alter?.oldVal === undefined
        ? [add(`ALTER TYPE ${name} ADD VALUE`)]
        : [{ kind: 'rename', what: `ALTER TYPE ${name} RENAME VALUE` }];
    }
    case 'AlterTableStmt': {
      const alter = nodeAs(statement, 'AlterTableStmt');
      const table = relationName(alter?.relation);
      const onNewTable = !isExistingTable(context, table);
      return (alter?.cmds ?? []).flatMap((command) => {
        const cmd = nodeAs(command, 'AlterTableCmd');
        if (cmd === undefined) return [];
        const change = alterTableChange(cmd, table);
        // Everything done to a table no deployed code uses yet is part of building it.
        return [{ ...change, onNewTable }];
      });
    }
    case 'RenameStmt': {
      const rename = nodeAs(statement, 'RenameStmt');
      const target = rename?.relation ? `${relationName(rename.relation)}` : '';
      const sub = rename?.subname ? `.${rename.subname}` : '';
      const subject = `${target}${sub}` || objectNameOf(rename?.object);
      return [
        {
          kind: 'rename',
          what: `RENAME ${objectTypeName(rename?.renameType)} ${subject} TO ${rename?.newname ?? '?'}`,
          location: rename?.relation?.location,
        },
      ];
    }
    case 'AlterObjectSchemaStmt': {
      const move = nodeAs(statement, 'AlterObjectSchemaStmt');
      return [
        {
          kind: 'rename',
          what: `ALTER ${objectTypeName(move?.objectType)} ... SET SCHEMA ${move?.newschema ?? '?'}`,
        },
      ];
    }
    case 'DropStmt': {
      const drop = nodeAs(statement, 'DropStmt');
      const names = (drop?.objects ?? []).map(objectNameOf).join(', ');
      const what = `DROP ${objectTypeName(drop?.removeType)} ${names}`.trim();
      return [
        drop?.removeType === 'OBJECT_INDEX'
          ? { kind: 'remove', what, effect: DROP_INDEX_EFFECT }
          : { kind: 'remove', what },
      ];
    }
    case 'TruncateStmt': {
      const truncate = nodeAs(statement, 'TruncateStmt');
      const names = (truncate?.relations ?? [])
        .map((relation) => relationName(nodeAs(relation, 'RangeVar')))
        .join(', ');
      return [{ kind: 'remove', what: `TRUNCATE ${names}` }];
    }
    case 'InsertStmt':
      return [data(`INSERT INTO ${relationName(nodeAs(statement, 'InsertStmt')?.relation)}`)];
    case 'UpdateStmt':
      return [data(`UPDATE ${relationName(nodeAs(statement, 'UpdateStmt')?.relation)}`)];
    case 'DeleteStmt':
      return [data(`DELETE FROM ${relationName(nodeAs(statement, 'DeleteStmt')?.relation)}`)];
    case 'MergeStmt':
      return [data(`MERGE INTO ${relationName(nodeAs(statement, 'MergeStmt')?.relation)}`)];
    case 'CopyStmt': {
      const copy = nodeAs(statement, 'CopyStmt');
      return copy?.is_from ? [data(`COPY ${relationName(copy.relation)} FROM`)] : [];
    }
    case 'RefreshMatViewStmt':
      return [data('REFRESH MATERIALIZED VIEW')];
    default:
      return [];
  }
}

const add = (what: string): Change => ({ kind: 'add', what });
const data = (what: string): Change => ({ kind: 'data', what });

function objectNameOf(object: Node | undefined): string {
  const list = nodeAs(object, 'List');
  if (list) return stringValues(list.items).join('.');
  const single = nodeAs(object, 'String')?.sval;
  if (single !== undefined) return single;
  const typeName = nodeAs(object, 'TypeName');
  if (typeName) return stringValues(typeName.names).join('.');
  const withArgs = nodeAs(object, 'ObjectWithArgs');
  if (withArgs) return stringValues(withArgs.objname).join('.');
  return '';
}

function alterTableChange(cmd: AlterTableCmd, table: string): Change {
  const column = cmd.name ? `${table}.${cmd.name}` : table;
  const location = firstLocation(cmd.def);
  switch (cmd.subtype) {
    case 'AT_AddColumn': {
      const name = nodeAs(cmd.def, 'ColumnDef')?.colname ?? '?';
      return { kind: 'add', what: `ADD COLUMN ${table}.${name}`, location };
    }
    case 'AT_AddConstraint': {
      const constraint = nodeAs(cmd.def, 'Constraint');
      const name = constraint?.conname ? ` ${constraint.conname}` : '';
      const what = `ADD CONSTRAINT${name} on ${table}`;
      if (constraint?.indexname !== undefined) {
        return { kind: 'tighten', what: `${what} USING INDEX`, location };
      }
      if (constraint?.skip_validation) return { kind: 'constraint', what, location };
      return { kind: 'tighten', what: `${what} (validated immediately)`, location };
    }
    case 'AT_ValidateConstraint':
      return { kind: 'tighten', what: `VALIDATE CONSTRAINT ${cmd.name ?? '?'} on ${table}` };
    case 'AT_SetNotNull':
      return { kind: 'tighten', what: `SET NOT NULL on ${column}` };
    case 'AT_DropNotNull':
      return { kind: 'relax', what: `DROP NOT NULL on ${column}` };
    case 'AT_ColumnDefault':
      return cmd.def === undefined
        ? { kind: 'relax', what: `DROP DEFAULT on ${column}` }
        : { kind: 'add', what: `SET DEFAULT on ${column}`, location };
    case 'AT_AddInherit':
    case 'AT_AddIdentity':
    case 'AT_AttachPartition':
      return { kind: 'add', what: `ALTER TABLE ${table} ${subtypeWords(cmd.subtype)}`, location };
    case 'AT_DropColumn':
      return { kind: 'remove', what: `DROP COLUMN ${column}` };
    case 'AT_DropConstraint':
      return {
        kind: 'remove',
        what: `DROP CONSTRAINT ${cmd.name ?? '?'} on ${table}`,
        effect: DROP_CONSTRAINT_EFFECT,
      };
    case 'AT_DetachPartition':
    case 'AT_DropExpression':
    case 'AT_DropIdentity':
    case 'AT_DropInherit':
    case 'AT_DropOf':
      return { kind: 'remove', what: `ALTER TABLE ${table} ${subtypeWords(cmd.subtype)}` };
    default:
      return { kind: 'neutral', what: `ALTER TABLE ${table}` };
  }
}

// `AT_DetachPartition` → `DETACH PARTITION`, for messages.
const subtypeWords = (subtype: string): string =>
  subtype
    .replace(/^AT_/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase();
