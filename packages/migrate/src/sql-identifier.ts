// PostgreSQL identifiers Strata accepts from configuration and migration code: plain names
// that need no quoting to be read back, at most 63 bytes (NAMEDATALEN - 1). Anything else
// is rejected rather than escaped, so a name can never carry SQL.
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/;
const MAX_IDENTIFIER_BYTES = 63;

/** Why `name` is not an acceptable identifier, or undefined when it is. */
export function identifierProblem(name: string): string | undefined {
  if (!IDENTIFIER.test(name)) {
    return `"${name}" is not a valid identifier: use letters, digits, "_" and "$", starting with a letter or "_"`;
  }
  if (Buffer.byteLength(name, 'utf8') > MAX_IDENTIFIER_BYTES) {
    return `"${name}" is longer than ${MAX_IDENTIFIER_BYTES} bytes`;
  }
  return undefined;
}

/** Double-quotes an identifier that passed `identifierProblem`. Throws on one that did not. */
export function quoteIdentifier(name: string): string {
  const problem = identifierProblem(name);
  if (problem) throw new TypeError(problem);
  return `"${name}"`;
}

/** Quotes `table` or `schema.table` part by part: `"schema"."table"`. */
export function quoteQualifiedName(name: string): string {
  return name.split('.').map(quoteIdentifier).join('.');
}

/** Why `name` (`table` or `schema.table`) is not acceptable, or undefined. */
export function qualifiedNameProblem(name: string): string | undefined {
  const parts = name.split('.');
  if (parts.length > 2) return `"${name}" has more than two parts; use "table" or "schema.table"`;
  for (const part of parts) {
    const problem = identifierProblem(part);
    if (problem) return problem;
  }
  return undefined;
}
