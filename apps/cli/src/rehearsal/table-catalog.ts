import { escapeIdentifier } from '@strata/errors';
import type { SqlClient } from '../database/connect.js';

/** A column of a table to fill, as the catalog describes it. */
export interface ColumnInfo {
  name: string;
  /** `format_type` of the column, e.g. `character varying(20)` or a domain's name: what values are cast to. */
  typeSql: string;
  /** The type under a domain (or the type itself): its `pg_type.typname`, e.g. `int4`, `varchar`. */
  baseName: string;
  /** `format_type` of that base type, schema-qualified where needed (for enums). */
  baseTypeSql: string;
  /** `e` enum, `b` base, `c` composite, `r` range, ... of the base type. */
  baseTyptype: string;
  /** `pg_type.typcategory` of the base type: `S` string, `N` numeric, `A` array, ... */
  baseCategory: string;
  /** The length/precision modifier (`atttypmod`, or the domain's), -1 when none. */
  typmod: number;
  notNull: boolean;
  /** The default expression, if any. */
  defaultSql: string | null;
  identity: boolean;
  generated: boolean;
}

/** A foreign key of a table to fill: its columns and the columns they reference. */
export interface ForeignKeyInfo {
  name: string;
  columns: string[];
  parentOid: number;
  parent: string;
  parentColumns: string[];
}

/** A user table of the rehearsal database. */
export interface TableInfo {
  oid: number;
  /** `"schema"."table"`, quoted. */
  qualified: string;
  /** `schema.table`, for reports. */
  display: string;
  columns: ColumnInfo[];
  foreignKeys: ForeignKeyInfo[];
  /** Column sets of the primary key and unique constraints. */
  uniqueKeys: string[][];
}

/** The migrator's own tables (`schema.table`), which a rehearsal never fills or measures. */
export interface ExcludedTables {
  schema: string;
  tables: string[];
}

/**
 * Reads every ordinary and partitioned table in user schemas (not partitions, which their
 * parent fills; not tables owned by an extension; not the migrator's own), with the
 * columns, foreign keys and unique keys that decide which synthetic values fit.
 */
export async function readTableCatalog(client: SqlClient, excluded: ExcludedTables): Promise<TableInfo[]> {
  const { rows: tables } = await client.query<{ oid: string; schema: string; name: string }>(
    `select c.oid::int8 as oid, n.nspname as schema, c.relname as name
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p') and not c.relispartition
       and n.nspname <> all (array['pg_catalog', 'information_schema'])
       and n.nspname !~ '^pg_(toast|temp)'
       and not (n.nspname = $1 and c.relname = any($2::text[]))
       and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
     order by n.nspname, c.relname`,
    [excluded.schema, excluded.tables],
  );
  if (tables.length === 0) return [];
  const oids = tables.map((table) => table.oid);
  const { rows: columns } = await client.query<{
    table_oid: string;
    name: string;
    num: number;
    type_sql: string;
    base_name: string;
    base_type_sql: string;
    base_typtype: string;
    base_category: string;
    typmod: number;
    not_null: boolean;
    default_sql: string | null;
    identity: string;
    generated: string;
  }>(
    `select a.attrelid::int8 as table_oid, a.attname as name, a.attnum as num,
            format_type(a.atttypid, a.atttypmod) as type_sql,
            coalesce(bt.typname, t.typname) as base_name,
            format_type(coalesce(bt.oid, t.oid), null) as base_type_sql,
            coalesce(bt.typtype, t.typtype) as base_typtype,
            coalesce(bt.typcategory, t.typcategory) as base_category,
            case when t.typtype = 'd' then t.typtypmod else a.atttypmod end as typmod,
            a.attnotnull or (t.typtype = 'd' and t.typnotnull) as not_null,
            pg_get_expr(d.adbin, d.adrelid) as default_sql,
            a.attidentity as identity, a.attgenerated as generated
     from pg_attribute a
     join pg_type t on t.oid = a.atttypid
     left join pg_type bt on t.typtype = 'd' and bt.oid = t.typbasetype
     left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
     where a.attrelid = any($1::oid[]) and a.attnum > 0 and not a.attisdropped
     order by a.attrelid, a.attnum`,
    [oids],
  );
  const { rows: constraints } = await client.query<{
    table_oid: string;
    name: string;
    type: string;
    columns: string[];
    parent_oid: string | null;
    parent: string | null;
    parent_columns: string[] | null;
  }>(
    `select c.conrelid::int8 as table_oid, c.conname as name, c.contype as type,
            array(select a.attname from unnest(c.conkey) with ordinality k(num, i)
                  join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.num order by k.i)::text[] as columns,
            nullif(c.confrelid, 0)::int8 as parent_oid,
            case when c.contype = 'f' then quote_ident(pn.nspname) || '.' || quote_ident(p.relname) end as parent,
            case when c.contype = 'f' then array(select a.attname from unnest(c.confkey) with ordinality k(num, i)
                  join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.num order by k.i)::text[] end as parent_columns
     from pg_constraint c
     left join pg_class p on p.oid = c.confrelid
     left join pg_namespace pn on pn.oid = p.relnamespace
     where c.conrelid = any($1::oid[]) and c.contype in ('f', 'p', 'u')
     order by c.conrelid, c.conname`,
    [oids],
  );
  return tables.map((table) => {
    const oid = Number(table.oid);
    return {
      oid,
      qualified: `${escapeIdentifier(table.schema)}.${escapeIdentifier(table.name)}`,
      display: `${table.schema}.${table.name}`,
      columns: columns
        .filter((column) => Number(column.table_oid) === oid)
        .map((column) => ({
          name: column.name,
          typeSql: column.type_sql,
          baseName: column.base_name,
          baseTypeSql: column.base_type_sql,
          baseTyptype: column.base_typtype,
          baseCategory: column.base_category,
          typmod: Number(column.typmod),
          notNull: column.not_null,
          defaultSql: column.default_sql,
          identity: column.identity !== '',
          generated: column.generated !== '',
        })),
      foreignKeys: constraints
        .filter((constraint) => Number(constraint.table_oid) === oid && constraint.type === 'f')
        .map((constraint) => ({
          name: constraint.name,
          columns: constraint.columns,
          parentOid: Number(constraint.parent_oid),
          parent: constraint.parent ?? '',
          parentColumns: constraint.parent_columns ?? [],
        })),
      uniqueKeys: constraints
        .filter((constraint) => Number(constraint.table_oid) === oid && constraint.type !== 'f')
        .map((constraint) => constraint.columns),
    };
  });
}
