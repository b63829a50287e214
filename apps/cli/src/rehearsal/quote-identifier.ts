/**
 * Quotes a name read from the catalog (a table, a column) for use in generated SQL. These
 * names come from PostgreSQL itself, never from the command line.
 */
export const quoteIdentifier = (name: string): string => `"${name.replaceAll('"', '""')}"`;
