import { quoteQualifiedName } from '@strata/errors';

/** How a column's values are written in COPY text and bound in INSERTs. */
export type ColumnKind = 'json' | 'array' | 'bytea' | 'timestamptz' | 'timestamp' | 'date' | 'other';

export interface ColumnDescription {
  name: string;
  /** pg_type.typname, e.g. `int8`, `text`, `_text`. */
  type: string;
  kind: ColumnKind;
  notNull: boolean;
}

/** What a repository needs to know about its table, read once from the catalog. */
export interface TableDescription {
  columns: ReadonlyMap<string, ColumnDescription>;
  /** The sequence behind the id column (serial or identity), or null. */
  idSequence: string | null;
  /** That sequence's increment (1 unless altered). */
  idSequenceIncrement: number;
}

/** Runs one parameterised statement; the pool (or the ambient connection) answers it. */
export type Query = (text: string, values: readonly unknown[]) => Promise<{ rows: unknown[] }>;

// One statement: columns with their types and nullability, and the id's sequence.
const DESCRIBE = `select a.attname as name, t.typname as type, t.typcategory as category, a.attnotnull as not_null,
  s.sequence, (select seqincrement from pg_sequence where seqrelid = s.sequence::regclass) as increment
from pg_attribute a join pg_type t on t.oid = a.atttypid
  left join lateral (select pg_get_serial_sequence($1::text, $2::text) as sequence) s on a.attname = $2::text
where a.attrelid = $1::text::regclass and a.attnum > 0 and not a.attisdropped
order by a.attnum`;

interface DescribeRow {
  name: string;
  type: string;
  category: string;
  not_null: boolean;
  sequence: string | null;
  increment: string | null;
}

/** Reads the columns of `tableName` (Objection's `tableName`, optionally schema-qualified). */
export async function describeTable(
  query: Query,
  tableName: string,
  idColumn: string,
): Promise<TableDescription> {
  const { rows } = await query(DESCRIBE, [quoteQualifiedName(tableName), idColumn]);
  const columns = new Map<string, ColumnDescription>();
  let idSequence: string | null = null;
  let idSequenceIncrement = 1;
  for (const row of rows as DescribeRow[]) {
    columns.set(row.name, { name: row.name, type: row.type, kind: kindOf(row), notNull: row.not_null });
    if (row.sequence) {
      idSequence = row.sequence;
      idSequenceIncrement = Number(row.increment ?? 1);
    }
  }
  return { columns, idSequence, idSequenceIncrement };
}

function kindOf(row: DescribeRow): ColumnKind {
  if (row.type === 'json' || row.type === 'jsonb') return 'json';
  if (row.category === 'A') return 'array';
  if (row.type === 'bytea') return 'bytea';
  if (row.type === 'timestamptz' || row.type === 'timestamp' || row.type === 'date') return row.type;
  return 'other';
}
