/**
 * Quotes a table or column name for SQL text. A dotted table name (`schema.table`) is quoted
 * part by part, the way Knex and Objection read `tableName`.
 */
export function quoteIdentifier(name: string): string {
  return name
    .split('.')
    .map((part) => `"${part.replaceAll('"', '""')}"`)
    .join('.');
}
