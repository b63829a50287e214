import { lexSql, type SqlToken } from '../sql-lexer.js';

/** The up section of a SQL migration, blanked out everywhere else so offsets stay file-wide. */
export interface UpSection {
  /**
   * The file with everything outside the up section (the markers, any header, the down
   * section) replaced by spaces, newlines kept: offsets, lines and columns in it are the
   * file's own.
   */
  text: string;
  /** The tokens of the up section (comments included), character offsets. */
  tokens: SqlToken[];
}

// The same marker the migrator reads (sql-migration-file.ts): a `--` comment token, so a
// marker inside a string literal or dollar-quoted body is not one.
const MARKER = /^--\s*migrate:(up|down)\s*$/;

/**
 * Finds the `-- migrate:up` section of a migration: from after that marker to the
 * `-- migrate:down` marker or the end. A file without an up marker is linted whole (the
 * migrator itself reports the missing marker when it loads the file).
 */
export function upSection(sql: string): UpSection {
  const tokens = lexSql(sql);
  const markers = tokens.flatMap((token) => {
    if (token.tokenName !== 'SQL_COMMENT') return [];
    const name = MARKER.exec(token.text.trim())?.[1];
    return name ? [{ name, token }] : [];
  });
  const up = markers.find((marker) => marker.name === 'up');
  if (up === undefined) return { text: sql, tokens };
  const down = markers.find((marker) => marker.name === 'down' && marker.token.start > up.token.start);
  const start = up.token.end;
  const end = down?.token.start ?? sql.length;
  const blank = (part: string): string =>
    part
      .split('\n')
      .map((line) => ' '.repeat(line.length))
      .join('\n');
  const text = blank(sql.slice(0, start)) + sql.slice(start, end) + blank(sql.slice(end));
  return {
    text,
    tokens: tokens.filter((token) => token.start >= start && token.end <= end),
  };
}
