import type { Node } from 'libpg-query';
import { MigrationNameError } from '../migration-errors.js';
import { parseMigrationName } from '../migration-name.js';
import type { MigrationPhase } from '../migration-phase.js';
import { forbiddenStatementReason, nonTransactionalReason } from '../non-transactional-statement.js';
import { splitSqlStatements } from '../sql-parser.js';
import { checkBackfillShape } from './backfill-rules.js';
import { judgeBySize, trackCatalogStatement, unindexedForeignKeys } from './catalog-rules.js';
import { embeddedSql } from './embedded-sql.js';
import { emptyKnowledge, type LintContext, type RuleFinding, type SchemaKnowledge } from './lint-context.js';
import { type LintRuleId, type LintSeverity, lintRule } from './lint-rules.js';
import { checkLocks } from './lock-rules.js';
import { checkNotNullOnAddedColumns } from './not-null-rules.js';
import { nodeType } from './parse-tree.js';
import { checkPhaseFit } from './phase-rules.js';
import { checkProjectRules } from './project-rules.js';
import { trackStatement } from './schema-tracking.js';
import { type SourcePosition, sourcePositions } from './source-position.js';
import type { LintCatalog } from './table-catalog.js';
import { checkValidateWhileLocked } from './transaction-rules.js';
import { checkTypes } from './type-rules.js';
import { upSection } from './up-section.js';
import { readWaivers } from './waivers.js';

/** One problem the linter found in a migration file. */
export interface LintFinding {
  /** The file as the caller named it. */
  file: string;
  /** 1-based line of the offending statement (or of the offending part of it). */
  line: number;
  /** 1-based column, when known. */
  column?: number;
  ruleId: LintRuleId;
  severity: LintSeverity;
  /** What is wrong, naming the table/column/constraint. */
  message: string;
  /** The lock taken or rewrite done, when that is the problem. */
  lock?: string;
  /** What to write instead. */
  safeAlternative: string;
}

/** One SQL migration to lint. */
export interface LintMigrationInput {
  /** The file name (or path) to report findings against. */
  file: string;
  /** The migration's phase, which decides what it may do. */
  phase: MigrationPhase;
  /** The whole file: `-- migrate:up` and `-- migrate:down` sections (only up is linted). */
  sql: string;
  /**
   * Tables that exist in the database and may hold rows. When given, a table not in it
   * counts as new (safe to lock); when omitted, every table not created earlier in this
   * file is assumed to exist. Names may be schema-qualified (`public.orders`).
   */
  existingTables?: Iterable<string> | undefined;
  /**
   * The database's catalog (`readLintCatalog`): locks on small tables become notes, on large
   * ones the message states the size; ALTER COLUMN ... TYPE knows the old type; foreign keys
   * are checked for an index. Its tables are the existing tables unless `existingTables` says.
   */
  catalog?: LintCatalog | undefined;
}

/**
 * Lints one SQL migration with PostgreSQL's own parser: phase fit, locks and rewrites, the
 * project's rules, type hygiene and backfill shape (see LINT.md). Only the `-- migrate:up`
 * section is linted. Findings waived in the file with `-- strata:allow <rule-id> <reason>`
 * are left out; malformed or unused waivers are findings themselves. Sorted by line.
 */
export async function lintMigration(input: LintMigrationInput): Promise<LintFinding[]> {
  return lintFile(input, emptyKnowledge());
}

/**
 * One file for `lintMigrations`. Only SQL is linted: a `.ts`/`.js` migration is read for its
 * name alone (a backfill module counts as the backfill of its scope's new columns).
 */
export interface LintMigrationsFile {
  /** The file name or path; its base name must follow `{seq}_{scope}_{phase}_{description}.sql`. */
  file: string;
  /** The file's text; ignored for `.ts`/`.js` migrations. */
  sql: string;
  /** Overrides the phase read from the file name. */
  phase?: MigrationPhase | undefined;
  /** As in `lintMigration`; overrides `options.existingTables` for this file. */
  existingTables?: Iterable<string> | undefined;
  /**
   * The file predates the linter (listed in the migrations folder's baseline): its findings
   * are not reported, but what it establishes still carries over to later files.
   */
  baselined?: boolean | undefined;
}

export interface LintMigrationsOptions {
  /** Tables that exist in the database, for every file (see `LintMigrationInput.existingTables`). */
  existingTables?: Iterable<string> | undefined;
  /** The database's catalog, for every file (see `LintMigrationInput.catalog`). */
  catalog?: LintCatalog | undefined;
}

const isModule = (file: string): boolean => /\.(?:ts|js)$/.test(file);

/**
 * Lints migrations in sequence order, reading each one's phase from its file name
 * (`invalid-migration-name` when it cannot). What earlier files establish carries over:
 * a CHECK (column IS NOT NULL) validated in one migration makes SET NOT NULL in a later one
 * safe, and a backfill fills the columns added before it. Pass every migration, applied and
 * pending, so that knowledge is complete.
 */
export async function lintMigrations(
  files: readonly LintMigrationsFile[],
  options: LintMigrationsOptions = {},
): Promise<LintFinding[]> {
  const knowledge = emptyKnowledge();
  const named = files
    .map((file, index) => {
      try {
        const name = parseMigrationName(file.file);
        const phase = file.phase ?? name.phase;
        return { file, index, seq: name.seq, scope: name.scope, phase, nameError: undefined };
      } catch (error) {
        if (!(error instanceof MigrationNameError)) throw error;
        const seq = Number.POSITIVE_INFINITY;
        return { file, index, seq, scope: undefined, phase: file.phase, nameError: error };
      }
    })
    .filter((entry) => !(isModule(entry.file.file) && entry.nameError))
    .sort((a, b) => a.seq - b.seq || a.index - b.index);

  const findings: LintFinding[] = [];
  for (const { file, phase, scope, nameError } of named) {
    if (isModule(file.file)) {
      // The linter cannot read a module; a backfill of the scope is taken to fill its columns.
      if (phase === 'backfill') {
        for (const added of knowledge.addedColumns) if (added.scope === scope) added.filled = true;
      }
      continue;
    }
    const fileFindings: LintFinding[] = [];
    if (nameError) {
      fileFindings.push(
        finding(
          file.file,
          { line: 1, column: 1 },
          { ruleId: 'invalid-migration-name', message: nameError.message },
        ),
      );
    }
    const existingTables = file.existingTables ?? options.existingTables;
    const { catalog } = options;
    fileFindings.push(
      ...(await lintFile(
        { file: file.file, phase, scope, sql: file.sql, existingTables, catalog },
        knowledge,
      )),
    );
    if (!file.baselined) findings.push(...fileFindings);
  }
  return findings;
}

type RuleInput = Omit<LintMigrationInput, 'phase'> & {
  phase: MigrationPhase | undefined;
  scope?: string | undefined;
};

interface RawFinding {
  statementIndex: number;
  finding: LintFinding;
  /** Found in the body of a function: reported only when the file may define the function. */
  inFunctionBody?: boolean;
}

const DATA_STATEMENTS = new Set(['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

function checkStatement(node: Node, context: LintContext): RuleFinding[] {
  return [
    ...checkPhaseFit(node, context),
    ...checkLocks(node, context),
    ...checkValidateWhileLocked(node, context),
    ...checkNotNullOnAddedColumns(node, context),
    ...checkProjectRules(node),
    ...checkTypes(node),
    ...checkBackfillShape(node, context),
  ].map((found) => judgeBySize(found, context));
}

async function lintFile(input: RuleInput, knowledge: SchemaKnowledge): Promise<LintFinding[]> {
  const section = upSection(input.sql);
  const statements = await splitSqlStatements(section.text, { unparsable: 'keep' });
  const positions = sourcePositions(section.text);
  // A migration with a statement that cannot run in a transaction runs statement by
  // statement, each committing (and releasing its locks) on its own.
  const transactional = statements.every((statement) => nonTransactionalReason(statement) === undefined);
  const existingTables = input.existingTables ?? input.catalog?.tables.map((table) => table.name);
  const context: LintContext = {
    phase: input.phase,
    existingTables: existingTables === undefined ? undefined : [...existingTables],
    catalog: input.catalog,
    createdTables: [],
    inTransaction: false,
    knowledge,
    file: input.file,
    scope: input.scope,
    heldLocks: [],
    line: 1,
  };

  const raw: RawFinding[] = [];
  for (const [statementIndex, statement] of statements.entries()) {
    const start = positions.ofChar(statement.start);
    const place = (ruleFinding: RuleFinding, at: SourcePosition, inFunctionBody = false): void => {
      raw.push({ statementIndex, finding: finding(input.file, at, ruleFinding), inFunctionBody });
    };
    if (statement.parseError !== undefined) {
      const message = `PostgreSQL 17's parser cannot read this statement (${statement.parseError}), so no rule checked it; PostgreSQL judges it when it runs.`;
      place({ ruleId: 'syntax-error', message }, start);
      continue;
    }
    const node = statement.node as Node;
    context.line = start.line;
    const forbidden = forbiddenStatementReason(statement);
    if (forbidden)
      place({ ruleId: 'transaction-control', message: `${statement.sql}: ${forbidden}.` }, start);
    for (const ruleFinding of checkStatement(node, context)) {
      place(ruleFinding, ruleFinding.location === undefined ? start : positions.ofByte(ruleFinding.location));
    }
    trackStatement(node, context);
    trackCatalogStatement(node, context);

    // The statements a DO block runs now, or a function body runs when called.
    const embedded = await embeddedSql(statement);
    // A function's EXECUTE runs when it is called: the function itself is the finding (no-function).
    for (const unlinted of embedded?.kind === 'do' ? embedded.unlinted : []) {
      const message = `DO block: ${unlinted.reason}, so what it runs is not linted.`;
      place({ ruleId: 'do-block', message }, positions.ofChar(unlinted.start));
    }
    for (const inner of embedded?.statements ?? []) {
      const inFunctionBody = embedded?.kind === 'function';
      // A function's queries run when the application calls it, not during the migration.
      if (inFunctionBody && DATA_STATEMENTS.has(nodeType(inner.node) ?? '')) continue;
      const innerStart = positions.ofChar(inner.start);
      context.line = innerStart.line;
      for (const ruleFinding of checkStatement(inner.node, context)) {
        const at =
          ruleFinding.location === undefined
            ? innerStart
            : positions.ofChar(inner.charOf(ruleFinding.location));
        const message = `${ruleFinding.message.replace(/\.$/, '')} (inside ${embedded?.container}).`;
        place({ ...ruleFinding, message }, at, inFunctionBody);
      }
      if (!inFunctionBody) {
        trackStatement(inner.node, context);
        trackCatalogStatement(inner.node, context);
      }
    }
    if (!transactional) context.heldLocks = [];
  }
  // Foreign keys once the whole file is read: an index created after the constraint counts.
  for (const [statementIndex, statement] of statements.entries()) {
    if (statement.parseError !== undefined) continue;
    for (const ruleFinding of unindexedForeignKeys(statement.node as Node, context)) {
      const at =
        ruleFinding.location === undefined
          ? positions.ofChar(statement.start)
          : positions.ofByte(ruleFinding.location);
      raw.push({ statementIndex, finding: finding(input.file, at, ruleFinding) });
    }
  }

  const { waivers, problems } = readWaivers(section.tokens, statements, positions);
  const used = new Set<number>();
  const kept = raw.filter(({ statementIndex, finding: candidate }) => {
    const waiver = waivers.findIndex(
      (w) => w.statementIndex === statementIndex && w.ruleId === candidate.ruleId,
    );
    if (waiver === -1) return true;
    used.add(waiver);
    return false;
  });
  // A function the file may not define is one finding (no-function), not one per statement in it.
  const refusedFunctions = new Set(
    kept
      .filter(({ finding: item }) => item.ruleId === 'no-function' || item.ruleId === 'no-procedure')
      .map(({ statementIndex }) => statementIndex),
  );
  const findings = kept
    .filter(({ statementIndex, inFunctionBody }) => !(inFunctionBody && refusedFunctions.has(statementIndex)))
    .map(({ finding: item }) => item);
  for (const problem of problems) findings.push(finding(input.file, problem, problem));
  waivers.forEach((waiver, index) => {
    if (used.has(index)) return;
    findings.push(
      finding(input.file, waiver, {
        ruleId: 'waiver-unused',
        message: `Waiver for "${waiver.ruleId}" waives nothing: the statement it applies to has no such finding.`,
      }),
    );
  });
  return dedupe(findings).sort((a, b) => a.line - b.line || (a.column ?? 0) - (b.column ?? 0));
}

function finding(
  file: string,
  at: { line: number; column?: number | undefined },
  ruleFinding: Pick<RuleFinding, 'ruleId' | 'message' | 'lock' | 'safeAlternative' | 'severity'>,
): LintFinding {
  const rule = lintRule(ruleFinding.ruleId);
  const lock = ruleFinding.lock ?? rule.lock;
  return {
    file,
    line: at.line,
    ...(at.column === undefined ? {} : { column: at.column }),
    ruleId: ruleFinding.ruleId,
    severity: ruleFinding.severity ?? rule.severity,
    message: ruleFinding.message,
    ...(lock === undefined ? {} : { lock }),
    safeAlternative: ruleFinding.safeAlternative ?? rule.safeAlternative,
  };
}

// One ALTER TABLE dropping two columns is two findings; the same finding twice is one.
function dedupe(findings: LintFinding[]): LintFinding[] {
  const seen = new Set<string>();
  return findings.filter((item) => {
    const key = `${item.ruleId}\u0000${item.line}\u0000${item.column}\u0000${item.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
