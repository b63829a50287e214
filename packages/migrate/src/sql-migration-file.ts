import { parseDuration } from './duration.js';
import { MigrationFileError } from './migration-errors.js';
import { forbiddenStatementReason, nonTransactionalReason } from './non-transactional-statement.js';
import { lexSql } from './sql-lexer.js';
import { type SqlStatement, SqlSyntaxError, splitSqlStatements } from './sql-parser.js';
import { type TextOffsets, textOffsets } from './text-offsets.js';

/** Per-migration settings, from `-- migrate:` directives (SQL) or `export const config` (modules). */
export interface MigrationSettings {
  /** Overrides the migrator's `lockTimeout` for this migration, in ms. */
  lockTimeout?: number | undefined;
  /** Overrides the migrator's `statementTimeout` for this migration, in ms. */
  statementTimeout?: number | undefined;
  /** Modules only: `false` runs up()/down() outside a transaction (needed by `batchUpdate`). */
  transaction?: boolean | undefined;
}

/**
 * A statement of a section, with its offsets and line in the whole file, and why it cannot
 * run in a transaction, if so.
 */
export interface SectionStatement extends SqlStatement {
  nonTransactional: string | undefined;
}

/** The `-- migrate:up` or `-- migrate:down` part of a SQL migration. */
export interface SqlSection {
  /** The section's SQL as written. */
  sql: string;
  statements: SectionStatement[];
  /** False when any statement cannot run inside a transaction; the section then runs statement by statement. */
  transactional: boolean;
}

export interface ParsedSqlMigration {
  up: SqlSection;
  /** Undefined when the file has no `-- migrate:down` marker; empty when the marker has nothing after it. */
  down: SqlSection | undefined;
  settings: MigrationSettings;
}

const DIRECTIVE = /^--\s*migrate:([A-Za-z-]+)(?:\s+(.*?))?\s*$/;
const SETTINGS: Record<string, 'lockTimeout' | 'statementTimeout'> = {
  'lock-timeout': 'lockTimeout',
  'statement-timeout': 'statementTimeout',
};

interface Marker {
  name: string;
  value: string | undefined;
  start: number;
  end: number;
  line: number;
}

/**
 * Reads a SQL migration: `-- migrate:up` then optionally `-- migrate:down`, each followed by
 * its SQL; before `-- migrate:up`, optional `-- migrate:lock-timeout 10s` and
 * `-- migrate:statement-timeout 30min`. Markers are found by PostgreSQL's lexical rules (a
 * marker inside a string is not a marker) and sections are split with its parser. A statement
 * the parser (libpg-query) cannot read is kept, with its `parseError`: PostgreSQL judges it
 * when it runs. Throws `MigrationFileError` naming the file and line.
 */
export async function parseSqlMigration(fileName: string, text: string): Promise<ParsedSqlMigration> {
  const fail = (problem: string, line?: number, cause?: unknown): never => {
    throw new MigrationFileError(fileName, problem, { line, cause });
  };

  const offsets = textOffsets(text);
  const markers: Marker[] = [];
  for (const token of lexSql(text)) {
    if (token.tokenName !== 'SQL_COMMENT') continue;
    const match = DIRECTIVE.exec(token.text);
    if (!match?.[1]) continue;
    markers.push({
      name: match[1],
      value: match[2] || undefined,
      start: token.start,
      end: token.end,
      line: offsets.lineOfChar(token.start),
    });
  }

  const upMarkers = markers.filter((m) => m.name === 'up');
  const downMarkers = markers.filter((m) => m.name === 'down');
  const up = upMarkers[0];
  if (!up) return fail('missing the "-- migrate:up" marker line that starts the up section');
  if (upMarkers.length > 1) fail('"-- migrate:up" appears more than once', upMarkers[1]?.line);
  if (downMarkers.length > 1) fail('"-- migrate:down" appears more than once', downMarkers[1]?.line);
  const down = downMarkers[0];
  if (down && down.start < up.start) fail('"-- migrate:down" must come after "-- migrate:up"', down.line);

  const settings: MigrationSettings = {};
  for (const marker of markers) {
    if (marker.name === 'up' || marker.name === 'down') continue;
    const key = SETTINGS[marker.name];
    if (!key) {
      fail(
        `unknown directive "-- migrate:${marker.name}"; known: up, down, ${Object.keys(SETTINGS).join(', ')}`,
        marker.line,
      );
      continue;
    }
    if (marker.start > up.start)
      fail(`"-- migrate:${marker.name}" must come before "-- migrate:up"`, marker.line);
    const milliseconds = parseDuration(marker.value);
    if (milliseconds === undefined) {
      fail(`"-- migrate:${marker.name}" needs a duration such as 500ms, 5s, 10min or 1h`, marker.line);
    }
    settings[key] = milliseconds;
  }

  const header = text.slice(0, up.start);
  if ((await splitSection(fileName, offsets, header, 0)).statements.length > 0) {
    fail('SQL before "-- migrate:up" would never run; move it into the up or down section', 1);
  }
  const upSection = await splitSection(
    fileName,
    offsets,
    text.slice(up.end, down?.start ?? text.length),
    up.end,
  );
  const downSection = down
    ? await splitSection(fileName, offsets, text.slice(down.end), down.end)
    : undefined;
  return { up: upSection, down: downSection, settings };
}

async function splitSection(
  fileName: string,
  file: TextOffsets,
  sql: string,
  offset: number,
): Promise<SqlSection> {
  const firstLine = file.lineOfChar(offset);
  let statements: SqlStatement[];
  try {
    statements = await splitSqlStatements(sql, { unparsable: 'keep' });
  } catch (error) {
    const problem = error instanceof SqlSyntaxError ? error.parserMessage : String(error);
    throw new MigrationFileError(fileName, problem, { line: firstLine, cause: error });
  }
  const withLines = statements.map((statement) => {
    const line = firstLine + statement.line - 1;
    const forbidden = forbiddenStatementReason(statement);
    if (forbidden) throw new MigrationFileError(fileName, forbidden, { line });
    return {
      ...statement,
      start: statement.start + offset,
      end: statement.end + offset,
      line,
      nonTransactional: nonTransactionalReason(statement),
    };
  });
  return {
    sql: sql.trim(),
    statements: withLines,
    transactional: withLines.every((statement) => statement.nonTransactional === undefined),
  };
}
