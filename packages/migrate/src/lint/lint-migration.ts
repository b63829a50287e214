import type { Node } from 'libpg-query';
import { MigrationNameError } from '../migration-errors.js';
import { parseMigrationName } from '../migration-name.js';
import type { MigrationPhase } from '../migration-phase.js';
import { forbiddenStatementReason } from '../non-transactional-statement.js';
import { parseSql, type SqlStatement, SqlSyntaxError, splitSqlStatements } from '../sql-parser.js';
import { checkBackfillShape } from './backfill-rules.js';
import type { LintContext, RuleFinding, SchemaKnowledge } from './lint-context.js';
import { type LintRuleId, type LintSeverity, lintRule } from './lint-rules.js';
import { checkLocks } from './lock-rules.js';
import { checkPhaseFit } from './phase-rules.js';
import { checkProjectRules } from './project-rules.js';
import { trackStatement } from './schema-tracking.js';
import { type SourcePositions, sourcePositions } from './source-position.js';
import { checkTypes } from './type-rules.js';
import { type UpSection, upSection } from './up-section.js';
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
}

/**
 * Lints one SQL migration with PostgreSQL's own parser: phase fit, locks and rewrites, the
 * project's rules, type hygiene and backfill shape (see LINT.md). Only the `-- migrate:up`
 * section is linted. Findings waived in the file with `-- strata:allow <rule-id> <reason>`
 * are left out; malformed or unused waivers are findings themselves. Sorted by line.
 */
export async function lintMigration(input: LintMigrationInput): Promise<LintFinding[]> {
  return lintFile(input, { notNullChecks: [] });
}

/** One file for `lintMigrations`. `.ts`/`.js` migrations are skipped: only SQL is linted. */
export interface LintMigrationsFile {
  /** The file name or path; its base name must follow `{seq}_{scope}_{phase}_{description}.sql`. */
  file: string;
  sql: string;
  /** Overrides the phase read from the file name. */
  phase?: MigrationPhase | undefined;
  /** As in `lintMigration`; overrides `options.existingTables` for this file. */
  existingTables?: Iterable<string> | undefined;
}

export interface LintMigrationsOptions {
  /** Tables that exist in the database, for every file (see `LintMigrationInput.existingTables`). */
  existingTables?: Iterable<string> | undefined;
}

/**
 * Lints migrations in sequence order, reading each one's phase from its file name
 * (`invalid-migration-name` when it cannot). What earlier files establish carries over:
 * a CHECK (column IS NOT NULL) validated in one migration makes SET NOT NULL in a later one
 * safe. Pass every migration, applied and pending, so that knowledge is complete.
 */
export async function lintMigrations(
  files: readonly LintMigrationsFile[],
  options: LintMigrationsOptions = {},
): Promise<LintFinding[]> {
  const knowledge: SchemaKnowledge = { notNullChecks: [] };
  const named = files
    .filter((file) => !/\.(?:ts|js)$/.test(file.file))
    .map((file, index) => {
      try {
        const name = parseMigrationName(file.file);
        return { file, index, seq: name.seq, phase: file.phase ?? name.phase, nameError: undefined };
      } catch (error) {
        if (!(error instanceof MigrationNameError)) throw error;
        return { file, index, seq: Number.POSITIVE_INFINITY, phase: file.phase, nameError: error };
      }
    })
    .sort((a, b) => a.seq - b.seq || a.index - b.index);

  const findings: LintFinding[] = [];
  for (const { file, phase, nameError } of named) {
    if (nameError) {
      findings.push(
        finding(
          file.file,
          { line: 1, column: 1 },
          { ruleId: 'invalid-migration-name', message: nameError.message },
        ),
      );
    }
    const existingTables = file.existingTables ?? options.existingTables;
    findings.push(...(await lintFile({ file: file.file, phase, sql: file.sql, existingTables }, knowledge)));
  }
  return findings;
}

type RuleInput = Omit<LintMigrationInput, 'phase'> & { phase: MigrationPhase | undefined };

async function lintFile(input: RuleInput, knowledge: SchemaKnowledge): Promise<LintFinding[]> {
  let section: UpSection;
  let statements: SqlStatement[];
  try {
    section = await upSection(input.sql);
    statements = await splitSqlStatements(section.text);
  } catch (error) {
    if (!(error instanceof SqlSyntaxError)) throw error;
    const at = await locateSyntaxError(input.sql);
    return [finding(input.file, at, { ruleId: 'syntax-error', message: error.message })];
  }

  const positions = sourcePositions(section.text);
  const context: LintContext = {
    phase: input.phase,
    existingTables: input.existingTables === undefined ? undefined : [...input.existingTables],
    createdTables: [],
    inTransaction: false,
    knowledge,
  };

  const raw: { statementIndex: number; finding: LintFinding }[] = [];
  statements.forEach((statement, statementIndex) => {
    const node = statement.node as Node;
    const start = positions.ofChar(statement.start);
    const place = (ruleFinding: RuleFinding): void => {
      const at = ruleFinding.location === undefined ? start : positions.ofByte(ruleFinding.location);
      raw.push({ statementIndex, finding: finding(input.file, at, ruleFinding) });
    };
    const forbidden = forbiddenStatementReason(statement);
    if (forbidden) place({ ruleId: 'transaction-control', message: `${statement.sql}: ${forbidden}.` });
    for (const ruleFinding of [
      ...checkPhaseFit(node, context),
      ...checkLocks(node, context),
      ...checkProjectRules(node),
      ...checkTypes(node),
      ...checkBackfillShape(node, context),
    ]) {
      place(ruleFinding);
    }
    trackStatement(node, context);
  });

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
  const findings = kept.map(({ finding: kept }) => kept);
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
  ruleFinding: Pick<RuleFinding, 'ruleId' | 'message' | 'lock' | 'safeAlternative'>,
): LintFinding {
  const rule = lintRule(ruleFinding.ruleId);
  const lock = ruleFinding.lock ?? rule.lock;
  return {
    file,
    line: at.line,
    ...(at.column === undefined ? {} : { column: at.column }),
    ruleId: ruleFinding.ruleId,
    severity: rule.severity,
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

/**
 * PostgreSQL's parser reports a syntax error without a position (libpg-query drops the
 * cursor), so find the first statement that fails to parse on its own and report its line.
 */
async function locateSyntaxError(sql: string): Promise<{ line: number; column: number }> {
  let section: UpSection;
  try {
    section = await upSection(sql);
  } catch {
    return { line: 1, column: 1 };
  }
  const positions: SourcePositions = sourcePositions(section.text);
  const code = section.tokens.filter(
    (token) => token.tokenName !== 'SQL_COMMENT' && token.tokenName !== 'C_COMMENT',
  );
  let chunkStart = 0;
  for (const [index, token] of code.entries()) {
    const isLast = index === code.length - 1;
    if (token.text !== ';' && !isLast) continue;
    const first = code[chunkStart];
    if (first !== undefined) {
      try {
        await parseSql(section.text.slice(first.start, token.end));
      } catch {
        return positions.ofChar(first.start);
      }
    }
    chunkStart = index + 1;
  }
  return { line: 1, column: 1 };
}
