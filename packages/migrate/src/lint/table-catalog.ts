import type { RangeVar } from 'libpg-query';
import type { Queryable } from '../migration-history.js';
import { splitSqlStatements } from '../sql-parser.js';
import { relationName } from './parse-tree.js';
import { upSection } from './up-section.js';

/** A column as the catalog has it. */
export interface CatalogColumn {
  name: string;
  /** `pg_type.typname`: `varchar`, `numeric`, `int4`, `text`, ... */
  type: string;
  /** `pg_attribute.atttypmod`: -1 when the type has no modifier. */
  typmod: number;
  /** `format_type`, e.g. `character varying(20)`. */
  display: string;
}

/** An index of a table: its key columns in order (null for an expression). */
export interface CatalogIndex {
  name: string;
  columns: (string | null)[];
  unique: boolean;
  /** A partial index (`WHERE ...`) serves only the rows it covers. */
  partial: boolean;
}

/** A table (or view) as the catalog describes it. */
export interface CatalogTable {
  /** `schema.table`. */
  name: string;
  /** `pg_class.reltuples`, rounded; null when the table was never vacuumed or analysed. */
  rows: number | null;
  /** `pg_total_relation_size`: the table, its indexes and TOAST, in bytes. */
  bytes: number;
  columns: CatalogColumn[];
  indexes: CatalogIndex[];
}

/** Up to which size a table counts as small: a lock held while it is rewritten or scanned is brief. */
export interface SmallTableThresholds {
  rows: number;
  bytes: number;
}

/** The defaults: at most 10 000 rows and 64 MiB. */
export const DEFAULT_SMALL_TABLE: SmallTableThresholds = { rows: 10_000, bytes: 64 * 1024 * 1024 };

/** What the linter knows of the database: the tables the migrations touch, and what counts as small. */
export interface LintCatalog {
  tables: CatalogTable[];
  smallTable: SmallTableThresholds;
}

/** Options of `readLintCatalog`. */
export interface ReadLintCatalogOptions {
  /** Read only the tables these migration texts name (default: every table of the database). */
  sql?: readonly string[] | undefined;
  smallTableRows?: number | undefined;
  smallTableBytes?: number | undefined;
}

const bare = (name: string): string => name.slice(name.lastIndexOf('.') + 1);

/**
 * Reads the catalog the linter judges migrations against: for every table (or view) the
 * migration texts name — all of the database's when `sql` is omitted — its size
 * (`pg_class.reltuples`, `pg_total_relation_size`), its columns with their types and its
 * indexes. Needs only the right to read the catalog.
 */
export async function readLintCatalog(
  db: Queryable,
  options: ReadLintCatalogOptions = {},
): Promise<LintCatalog> {
  const names = options.sql === undefined ? undefined : await relationsNamedIn(options.sql);
  return {
    tables: await readCatalogTables(db, names),
    smallTable: {
      rows: options.smallTableRows ?? DEFAULT_SMALL_TABLE.rows,
      bytes: options.smallTableBytes ?? DEFAULT_SMALL_TABLE.bytes,
    },
  };
}

/** Tables, views and their columns and indexes by (bare or qualified) name; all of them without names. */
export async function readCatalogTables(db: Queryable, names?: readonly string[]): Promise<CatalogTable[]> {
  const filter = names === undefined ? null : [...new Set(names.map(bare))];
  if (filter?.length === 0) return [];
  const { rows: tables } = await db.query(
    `select c.oid::bigint::text as oid, n.nspname || '.' || c.relname as name, c.reltuples,
            pg_total_relation_size(c.oid) as bytes
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p', 'm', 'v', 'f')
       and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_toast%'
       and ($1::text[] is null or c.relname = any($1::text[]))`,
    [filter],
  );
  if (tables.length === 0) return [];
  const oids = tables.map((table) => String(table.oid));
  const { rows: columns } = await db.query(
    `select a.attrelid::bigint::text as oid, a.attname, t.typname, a.atttypmod,
            format_type(a.atttypid, a.atttypmod) as display
     from pg_attribute a join pg_type t on t.oid = a.atttypid
     where a.attrelid = any($1::oid[]) and a.attnum > 0 and not a.attisdropped
     order by a.attrelid, a.attnum`,
    [oids],
  );
  const { rows: indexes } = await db.query(
    `select i.indrelid::bigint::text as oid, ic.relname as name, i.indisunique as unique,
            i.indpred is not null as partial,
            array(select a.attname::text from unnest(i.indkey::int2[]) with ordinality k(attnum, ord)
                  left join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
                  where k.ord <= i.indnkeyatts order by k.ord) as columns
     from pg_index i join pg_class ic on ic.oid = i.indexrelid
     where i.indrelid = any($1::oid[]) order by ic.relname`,
    [oids],
  );
  return tables.map((table) => {
    const reltuples = Number(table.reltuples);
    return {
      name: String(table.name),
      rows: reltuples < 0 ? null : Math.round(reltuples),
      bytes: Number(table.bytes),
      columns: columns
        .filter((column) => column.oid === table.oid)
        .map((column) => ({
          name: String(column.attname),
          type: String(column.typname),
          typmod: Number(column.atttypmod),
          display: String(column.display),
        })),
      indexes: indexes
        .filter((index) => index.oid === table.oid)
        .map((index) => ({
          name: String(index.name),
          columns: (index.columns as (string | null)[]).map((column) => column ?? null),
          unique: index.unique === true,
          partial: index.partial === true,
        })),
    };
  });
}

/** Every relation (`schema.table` or `table`) a parse tree names: FROM items, targets of ALTER, INSERT, ... */
export function relationsIn(tree: unknown): string[] {
  const names = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    // A RangeVar, wrapped as a node (`{ RangeVar: ... }`) or held directly (`relation: ...`).
    if (typeof (value as RangeVar).relname === 'string') names.add(relationName(value as RangeVar));
    for (const field of Object.values(value)) visit(field);
  };
  visit(tree);
  return [...names];
}

/** Every relation name the up sections of these migration texts use. */
export async function relationsNamedIn(texts: readonly string[]): Promise<string[]> {
  const names = new Set<string>();
  for (const text of texts) {
    const statements = await splitSqlStatements(upSection(text).text, { unparsable: 'keep' });
    for (const name of relationsIn(statements.map((statement) => statement.node))) names.add(name);
  }
  return [...names];
}

/**
 * The catalog's table for a name as a migration writes it: `schema.table` exactly, or a bare
 * name in `public` first, else the only table of that name.
 */
export function catalogTable(catalog: LintCatalog | undefined, name: string): CatalogTable | undefined {
  if (catalog === undefined) return undefined;
  if (name.includes('.')) return catalog.tables.find((table) => table.name === name);
  const matches = catalog.tables.filter((table) => bare(table.name) === name);
  return (
    matches.find((table) => table.name === `public.${name}`) ??
    (matches.length === 1 ? matches[0] : undefined)
  );
}

const UNITS = ['bytes', 'kB', 'MB', 'GB', 'TB'];

/** `48 kB`, `310 MB`: sizes as PostgreSQL's pg_size_pretty writes them. */
export function prettySize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 10_240 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${Math.round(value)} ${UNITS[unit]}`;
}

/** `~1 200 000 rows, 310 MB`, or `rows unknown (never analysed), 310 MB`. */
export function describeSize(table: CatalogTable): string {
  const rows =
    table.rows === null
      ? 'rows unknown (never vacuumed or analysed)'
      : `~${table.rows.toLocaleString('en-US').replaceAll(',', ' ')} rows`;
  return `${rows}, ${prettySize(table.bytes)}`;
}

/** Whether locking the table for a rewrite or scan is brief: at most the thresholds' rows and bytes. */
export function isSmallTable(table: CatalogTable, thresholds: SmallTableThresholds): boolean {
  return table.bytes <= thresholds.bytes && (table.rows === null || table.rows <= thresholds.rows);
}
