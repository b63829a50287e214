import type { SqlToken } from '../sql-lexer.js';
import { findLintRule, type LintRuleId } from './lint-rules.js';
import type { SourcePositions } from './source-position.js';

/** A `-- strata:allow <rule-id> <reason>` comment that is well formed. */
export interface Waiver {
  ruleId: string;
  reason: string;
  line: number;
  column: number;
  /** Index of the statement it applies to, or `undefined` when no statement follows it. */
  statementIndex: number | undefined;
}

/** A waiver comment that is itself a finding (no reason, unknown rule). */
export interface WaiverProblem {
  ruleId: Extract<LintRuleId, 'waiver-missing-reason' | 'waiver-unknown-rule'>;
  message: string;
  line: number;
  column: number;
}

/** Where a statement sits in the file, in character offsets. */
export interface StatementSpan {
  start: number;
  end: number;
}

const WAIVER = /^--\s*strata:allow(?:\s+(.*))?$/;

/**
 * Reads the waivers of a migration from its comment tokens. A waiver applies to one
 * statement: the one the comment sits in or trails on the same line (`...; -- strata:allow`),
 * otherwise the next statement after it.
 */
export function readWaivers(
  tokens: readonly SqlToken[],
  statements: readonly StatementSpan[],
  positions: SourcePositions,
): { waivers: Waiver[]; problems: WaiverProblem[] } {
  const waivers: Waiver[] = [];
  const problems: WaiverProblem[] = [];
  for (const token of tokens) {
    if (token.tokenName !== 'SQL_COMMENT') continue;
    const match = WAIVER.exec(token.text.trim());
    if (match === null) continue;
    const { line, column } = positions.ofChar(token.start);
    const [ruleId = '', ...reasonWords] = (match[1] ?? '').trim().split(/\s+/);
    const reason = reasonWords.join(' ');
    const rule = findLintRule(ruleId);
    if (ruleId === '') {
      problems.push({
        ruleId: 'waiver-unknown-rule',
        message: 'Waiver names no rule: write -- strata:allow <rule-id> <reason>.',
        line,
        column,
      });
    } else if (rule === undefined) {
      problems.push({
        ruleId: 'waiver-unknown-rule',
        message: `Waiver names unknown rule "${ruleId}".`,
        line,
        column,
      });
    } else if (!rule.waivable) {
      problems.push({
        ruleId: 'waiver-unknown-rule',
        message: `Rule "${ruleId}" cannot be waived.`,
        line,
        column,
      });
    } else if (reason === '') {
      problems.push({
        ruleId: 'waiver-missing-reason',
        message: `Waiver for "${ruleId}" gives no reason: write -- strata:allow ${ruleId} <why it is safe here>.`,
        line,
        column,
      });
    } else {
      waivers.push({
        ruleId,
        reason,
        line,
        column,
        statementIndex: statementFor(token, statements, positions),
      });
    }
  }
  return { waivers, problems };
}

function statementFor(
  comment: SqlToken,
  statements: readonly StatementSpan[],
  positions: SourcePositions,
): number | undefined {
  const inside = statements.findIndex(
    (statement) => statement.start <= comment.start && comment.start < statement.end,
  );
  if (inside !== -1) return inside;
  const commentLine = positions.ofChar(comment.start).line;
  const previous = statements.findLastIndex((statement) => statement.end <= comment.start);
  const previousStatement = statements[previous];
  if (previousStatement && positions.ofChar(previousStatement.end).line === commentLine) {
    return previous;
  }
  const next = statements.findIndex((statement) => statement.start >= comment.end);
  return next === -1 ? undefined : next;
}
