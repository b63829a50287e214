import type { ColumnDef, TypeName } from 'libpg-query';
import type { LintContext, RuleFinding } from './lint-context.js';
import { sameTable } from './lint-context.js';
import { nodeAs, typeBaseName, typeDisplayName } from './parse-tree.js';
import { type CatalogColumn, catalogTable } from './table-catalog.js';

/** A column type reduced to what decides whether changing it rewrites the table. */
export interface ColumnType {
  /** `pg_type.typname` of the element type: `varchar`, `numeric`, `int8`, ... */
  base: string;
  /** Decoded modifiers: `[length]`, `[precision, scale]`, `[fractional digits]`; empty when none. */
  modifiers: number[];
  array: boolean;
  /** As a person reads it: `character varying(20)`, `varchar(40)`. */
  display: string;
}

/** A column whose type an earlier migration of the lint run changed. */
export interface ChangedColumnType {
  table: string;
  column: string;
  type: ColumnType;
}

const LENGTH_TYPES = new Set(['varchar', 'bpchar']);
const PRECISION_TYPES = new Set(['timestamp', 'timestamptz', 'time', 'timetz']);
const BIT_TYPES = new Set(['varbit', 'bit']);

/** The type of a catalog column, its `atttypmod` decoded. */
export function catalogColumnType(column: CatalogColumn): ColumnType {
  const array = column.type.startsWith('_');
  const base = array ? column.type.slice(1) : column.type;
  const { typmod } = column;
  let modifiers: number[] = [];
  if (LENGTH_TYPES.has(base) && typmod >= 4) modifiers = [typmod - 4];
  else if (base === 'numeric' && typmod >= 4)
    modifiers = [((typmod - 4) >> 16) & 0xffff, (typmod - 4) & 0xffff];
  else if ((PRECISION_TYPES.has(base) || BIT_TYPES.has(base)) && typmod >= 0) modifiers = [typmod];
  else if (typmod >= 0) modifiers = [typmod];
  return { base, modifiers, array, display: column.display };
}

/** The type an ALTER COLUMN ... TYPE names, as written. */
export function writtenColumnType(typeName: TypeName | undefined): ColumnType {
  const base = typeBaseName(typeName);
  const modifiers = (typeName?.typmods ?? []).map((node) => nodeAs(node, 'A_Const')?.ival?.ival ?? 0);
  // numeric(p) is numeric(p, 0).
  if (base === 'numeric' && modifiers.length === 1) modifiers.push(0);
  return {
    base,
    modifiers,
    array: (typeName?.arrayBounds?.length ?? 0) > 0,
    display: typeDisplayName(typeName),
  };
}

const noLongerThan = (limit: number | undefined, other: number | undefined): boolean =>
  limit === undefined || (other !== undefined && other <= limit);

/**
 * Why changing a column from `from` to `to` rewrites the table, or undefined when PostgreSQL
 * changes only the catalog: the same type with a limit that only grows (varchar(n) →
 * varchar(m ≥ n) or unlimited, numeric(p, s) → numeric(q ≥ p, s) or unconstrained, timestamp(p)
 * → timestamp(q ≥ p), varbit(n) → varbit(m ≥ n)), or a binary-coercible pair (varchar ↔ text
 * without a new limit, cidr → inet). Anything else — a USING clause, another type, a type
 * this does not know — counts as a rewrite.
 */
export function typeChangeRewrite(from: ColumnType, to: ColumnType, using: boolean): string | undefined {
  const pair = `${from.display} → ${to.display}`;
  if (using) return `USING computes every row anew (${pair})`;
  if (from.array !== to.array) return `${pair} changes the element structure`;
  const [fromLimit, fromScale] = from.modifiers;
  const [toLimit, toScale] = to.modifiers;
  if (from.base === to.base) {
    if (from.modifiers.length === 0 && to.modifiers.length === 0) return undefined;
    if (from.base === 'varchar' || from.base === 'varbit') {
      return noLongerThan(toLimit, fromLimit)
        ? undefined
        : `${pair} shortens the limit, so every row is checked and rewritten`;
    }
    if (from.base === 'numeric') {
      if (to.modifiers.length === 0) return undefined;
      if (from.modifiers.length > 0 && fromScale === toScale && (toLimit ?? 0) >= (fromLimit ?? 0))
        return undefined;
      return `${pair} changes the scale or lowers the precision, so every value is recomputed`;
    }
    if (PRECISION_TYPES.has(from.base)) {
      const effective = (value: number | undefined) => (value === undefined ? 6 : Math.min(value, 6));
      return effective(toLimit) >= effective(fromLimit)
        ? undefined
        : `${pair} lowers the precision, so every value is rounded`;
    }
    return `${pair} changes the type modifier`;
  }
  if (from.base === 'varchar' && to.base === 'text') return undefined;
  if (from.base === 'text' && to.base === 'varchar' && to.modifiers.length === 0) return undefined;
  if (from.base === 'cidr' && to.base === 'inet') return undefined;
  if (from.base === 'timestamp' && to.base === 'timestamptz') {
    return `${pair} is a rewrite unless the server's TimeZone is UTC`;
  }
  return `${pair} is not binary-compatible`;
}

/** The column's current type: from an earlier ALTER of the lint run, else the catalog; undefined when unknown. */
function currentType(context: LintContext, table: string, column: string): ColumnType | undefined {
  const changed = context.knowledge.columnTypes.findLast(
    (entry) => entry.column === column && sameTable(entry.table, table),
  );
  if (changed) return changed.type;
  const known = catalogTable(context.catalog, table)?.columns.find((candidate) => candidate.name === column);
  return known === undefined ? undefined : catalogColumnType(known);
}

/**
 * `alter-column-type` for `ALTER TABLE table ALTER COLUMN column TYPE ...`: with the column's
 * old type known (a catalog, or an earlier migration), nothing when PostgreSQL only changes
 * the catalog, otherwise a finding naming the rewrite; without it, a finding that the change
 * may rewrite the table.
 */
export function checkAlterColumnType(
  context: LintContext,
  table: string,
  column: string,
  definition: ColumnDef | undefined,
): RuleFinding[] {
  const to = writtenColumnType(definition?.typeName);
  const using = definition?.raw_default !== undefined;
  const from = currentType(context, table, column);
  const name = `${table}.${column}`;
  const base = {
    ruleId: 'alter-column-type' as const,
    location: definition?.location,
    table,
  };
  if (from === undefined) {
    return [
      {
        ...base,
        message: `ALTER COLUMN ${name} TYPE ${to.base}${using ? ' USING ...' : ''} on an existing table.`,
        lock: `ACCESS EXCLUSIVE on ${table} and, unless the types are binary-compatible, a rewrite of every row and index: all reads and writes wait.`,
      },
    ];
  }
  const rewrite = typeChangeRewrite(from, to, using);
  if (rewrite === undefined) return [];
  return [
    {
      ...base,
      message: `ALTER COLUMN ${name} TYPE ${to.display} rewrites ${table}: ${rewrite}.`,
      lock: `ACCESS EXCLUSIVE on ${table} while every row and index is rewritten: all reads and writes wait.`,
    },
  ];
}

/** Remembers the new type of an ALTER COLUMN ... TYPE for later migrations of the run. */
export function recordColumnType(
  context: LintContext,
  table: string,
  column: string,
  definition: ColumnDef | undefined,
): void {
  context.knowledge.columnTypes.push({ table, column, type: writtenColumnType(definition?.typeName) });
}
