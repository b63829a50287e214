import { StrataError } from './strata-error.js';

// PostgreSQL truncates identifiers to NAMEDATALEN - 1 bytes; a longer name would silently
// address a different object than the one named, so it is refused instead.
const MAX_IDENTIFIER_BYTES = 63;

/**
 * The rule an identifier broke: `string` (not a string at all), `non-empty`, `max-63-bytes`
 * (UTF-8 bytes, NAMEDATALEN - 1), `no-nul` (PostgreSQL cannot store U+0000), or
 * `schema-and-name` (a qualified name has at most two dot-separated parts).
 */
export type IdentifierRule = 'string' | 'non-empty' | 'max-63-bytes' | 'no-nul' | 'schema-and-name';

/**
 * A table, column or schema name that PostgreSQL cannot take as an identifier. `identifier` is
 * the name as given and `rule` the rule it broke; the code is always `INVALID_IDENTIFIER`.
 */
export class InvalidIdentifierError extends StrataError {
  readonly identifier: string;
  readonly rule: IdentifierRule;

  constructor(identifier: unknown, rule: IdentifierRule) {
    super(
      'INVALID_IDENTIFIER',
      `Invalid SQL identifier ${shown(identifier)}: it ${ruleText(rule)}. Fix the table, column or schema name where it is configured (e.g. the model's tableName).`,
    );
    this.identifier = String(identifier);
    this.rule = rule;
  }
}

/**
 * Why `name` cannot be a PostgreSQL identifier, as a sentence fragment for a configuration
 * issue (e.g. `must be at most 63 bytes in UTF-8 (it is 70)`), or undefined when it can.
 * Any non-empty name of at most 63 UTF-8 bytes without NUL is accepted: `quoteIdentifier`
 * makes it safe, so mixed case, `$`, spaces and quotes are all fine.
 */
export function identifierProblem(name: unknown): string | undefined {
  const rule = brokenRule(name);
  if (rule === undefined) return undefined;
  if (rule === 'max-63-bytes')
    return `${ruleText(rule)} (it is ${Buffer.byteLength(name as string, 'utf8')})`;
  return ruleText(rule);
}

/**
 * Why `name` (`table` or `schema.table`, split on the dot as Knex and Objection do) cannot name
 * a table, or undefined when it can. Each part follows the rules of `identifierProblem`.
 */
export function qualifiedNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return ruleText('string');
  const parts = name.split('.');
  if (parts.length > 2) return ruleText('schema-and-name');
  for (const part of parts) {
    const problem = identifierProblem(part);
    if (problem) return parts.length === 1 ? problem : `${shown(part)} ${problem}`;
  }
  return undefined;
}

/**
 * Validates `name` as a PostgreSQL identifier and returns it double-quoted, with embedded
 * quotes doubled: `Order$Items` → `"Order$Items"`. The result is exact (case is kept) and
 * safe to splice into SQL text. Throws InvalidIdentifierError for an empty name, one over
 * 63 UTF-8 bytes, or one containing NUL. Use it for every name that comes from code or
 * configuration; values are always parameters instead.
 */
export function quoteIdentifier(name: string): string {
  const rule = brokenRule(name);
  if (rule !== undefined) throw new InvalidIdentifierError(name, rule);
  return escapeIdentifier(name);
}

/**
 * Quotes `table` or `schema.table` part by part (`"app"."Order$Items"`), validating each part
 * as `quoteIdentifier` does. More than two parts is an InvalidIdentifierError too.
 */
export function quoteQualifiedName(name: string): string {
  if (typeof name !== 'string') throw new InvalidIdentifierError(name, 'string');
  const parts = name.split('.');
  if (parts.length > 2) throw new InvalidIdentifierError(name, 'schema-and-name');
  return parts.map(quoteIdentifier).join('.');
}

/**
 * Double-quotes `name` and doubles the quotes inside it, without validating it: for names read
 * back from the catalog (`pg_attribute.attname`, `pg_class.relname`), which PostgreSQL already
 * accepted. Anything from code or configuration goes through `quoteIdentifier` instead.
 */
export function escapeIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function brokenRule(name: unknown): IdentifierRule | undefined {
  if (typeof name !== 'string') return 'string';
  if (name === '') return 'non-empty';
  if (name.includes('\0')) return 'no-nul';
  if (Buffer.byteLength(name, 'utf8') > MAX_IDENTIFIER_BYTES) return 'max-63-bytes';
  return undefined;
}

function ruleText(rule: IdentifierRule): string {
  switch (rule) {
    case 'string':
      return 'must be a string';
    case 'non-empty':
      return 'must not be empty';
    case 'no-nul':
      return 'must not contain the NUL character';
    case 'max-63-bytes':
      return `must be at most ${MAX_IDENTIFIER_BYTES} bytes in UTF-8 (PostgreSQL's NAMEDATALEN - 1)`;
    case 'schema-and-name':
      return 'must be "name" or "schema.name", with at most one dot';
  }
}

// JSON quoting shows control characters (a NUL as \u0000) instead of printing them.
const shown = (name: unknown): string => (typeof name === 'string' ? JSON.stringify(name) : typeof name);
