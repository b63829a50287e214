import type { Node } from 'libpg-query';
import type { MigrationPhase } from '../migration-phase.js';
import type { ChangedColumnType } from './column-type-change.js';
import type { LintRuleId, LintSeverity } from './lint-rules.js';
import type { LintCatalog } from './table-catalog.js';

/** One top-level statement of the migration's up section, as the rules see it. */
export interface LintStatement {
  /** The parse tree node, e.g. `{ IndexStmt: {...} }`. */
  node: Node;
  /** UTF-8 byte offset of the statement's first token in the linted text (parser units). */
  startByte: number;
}

/** What a rule reports about one statement; the linter adds the file and position. */
export interface RuleFinding {
  ruleId: LintRuleId;
  message: string;
  /** Parser `location` (byte offset) of the offending part; defaults to the statement's start. */
  location?: number | undefined;
  /** Overrides the rule's generic lock text with one naming the table. */
  lock?: string;
  /** Overrides the rule's generic safe alternative. */
  safeAlternative?: string;
  /** The table whose size decides how long the lock is held, for the catalog's judgement. */
  table?: string | undefined;
  /** Overrides the rule's severity (a catalog makes a lock on a small table a note). */
  severity?: LintSeverity | undefined;
}

/** A CHECK constraint that proves columns are not null, e.g. `CHECK (email IS NOT NULL)`. */
export interface NotNullCheck {
  table: string;
  constraint: string;
  columns: readonly string[];
  validated: boolean;
}

/**
 * A column added to an existing table without a DEFAULT: its existing rows hold NULL until a
 * backfill fills them, and code that does not know the column inserts NULL unless it gets one.
 */
export interface AddedColumn {
  table: string;
  column: string;
  /** The scope of the migration that added it (from the file name), when known. */
  scope: string | undefined;
  /** Where it was added, for messages. */
  file: string;
  line: number;
  /** An UPDATE set it, or a backfill migration of its scope ran: existing rows are filled. */
  filled: boolean;
  /** ALTER COLUMN ... SET DEFAULT gave it a default for new rows. */
  hasDefault: boolean;
}

/** What earlier migrations established; `lintMigrations` carries it from file to file. */
export interface SchemaKnowledge {
  notNullChecks: NotNullCheck[];
  addedColumns: AddedColumn[];
  /** New types given by ALTER COLUMN ... TYPE: newer than the catalog's. */
  columnTypes: ChangedColumnType[];
  /** Indexes (and unique or primary key constraints) created: they serve foreign keys. */
  indexes: { table: string; columns: (string | null)[] }[];
}

/** A lock that blocks writes, taken by an earlier statement of the migration's transaction. */
export interface HeldLock {
  table: string;
  /** e.g. `ACCESS EXCLUSIVE`. */
  mode: string;
  /** What took it, for messages: `ADD CONSTRAINT orders_nn on orders`. */
  what: string;
  /** Line of the statement that took it. */
  line: number;
}

/** An empty `SchemaKnowledge`, for the first migration. */
export const emptyKnowledge = (): SchemaKnowledge => ({
  notNullChecks: [],
  addedColumns: [],
  columnTypes: [],
  indexes: [],
});

/** The state of linting one file, read by the rules and updated after each statement. */
export interface LintContext {
  /** `undefined` when the file name gives no phase; phase rules are then skipped. */
  phase: MigrationPhase | undefined;
  /** Tables known to exist in the database; `undefined` when unknown (then all do, unless created here). */
  existingTables: readonly string[] | undefined;
  /** The database's catalog (sizes, column types, indexes), when the caller read it. */
  catalog: LintCatalog | undefined;
  /** Tables created earlier in this file: empty, so locking them blocks nobody. */
  createdTables: string[];
  /** Whether an explicit BEGIN is open at this point of the file. */
  inTransaction: boolean;
  knowledge: SchemaKnowledge;
  /** The migration file, as the caller named it. */
  file: string;
  /** The migration's scope (from its file name), when known. */
  scope: string | undefined;
  /**
   * Write-blocking locks the migration's transaction holds at this point. Empty again after
   * each statement when the migration runs statement by statement (it has a CONCURRENTLY).
   */
  heldLocks: HeldLock[];
  /** Line of the statement being checked. */
  line: number;
}

const bareName = (name: string): string => name.slice(name.lastIndexOf('.') + 1);

/**
 * Whether two table names denote the same table: equal, or equal once the schema is dropped
 * from whichever side is qualified (`public.users` and `users`).
 */
export function sameTable(a: string, b: string): boolean {
  if (a === b) return true;
  if (a.includes('.') && b.includes('.')) return false;
  return bareName(a) === bareName(b);
}

/**
 * Whether `table` may hold rows other sessions use while this migration runs: it was not
 * created earlier in this file, and (when the caller said which tables exist) it exists.
 */
export function isExistingTable(context: LintContext, table: string): boolean {
  if (context.createdTables.some((created) => sameTable(created, table))) return false;
  if (context.existingTables === undefined) return true;
  return context.existingTables.some((existing) => sameTable(existing, table));
}
