/** Runs one parameterised statement on the connection the COPY will use. */
export type IdQuery = (text: string, values: readonly unknown[]) => Promise<{ rows: unknown[] }>;

const INTEGER_TYPES = new Set(['int2', 'int4', 'int8']);

/**
 * Takes `count` values from `sequence` in one statement and returns them. The server calls
 * nextval once per row either way (a COPY without ids would too); taking them up front lets the
 * rows carry their ids, so `createMany` can return them without `INSERT … RETURNING`.
 * Concurrent callers may interleave, so the values need not be contiguous: the statement returns
 * just the range when they are (the usual case) and the full list otherwise.
 * Values come back as the driver parses the id column's type (`int8` as a string by default).
 */
export async function preallocateIds(
  query: IdQuery,
  sequence: string,
  count: number,
  idType: string,
): Promise<unknown[]> {
  if (!INTEGER_TYPES.has(idType)) throw new Error(`preallocateIds needs an integer id column, not ${idType}`);
  const { rows } = await query(
    `with taken as materialized (select nextval($1::text::regclass) as id from generate_series(1, $2::int)),
  range as (select min(id) as low, max(id) as high, count(*) as n from taken)
select low::${idType} as low, high::${idType} as high,
  case when high - low + 1 = n then null else (select array_agg(id::${idType} order by id) from taken) end as ids
from range`,
    [sequence, count],
  );
  const row = rows[0] as { low: unknown; high: unknown; ids: unknown[] | null } | undefined;
  if (!row) throw new Error('nextval returned no row');
  if (row.ids) return row.ids;
  return expandRange(row.low, count);
}

/**
 * The ids low, low + 1, ... in the JavaScript type the driver gave `low` (an int8 arrives as a
 * string by default): plain numbers while they are exact, BigInt beyond.
 */
export function expandRange(low: unknown, count: number): unknown[] {
  const ids = new Array<unknown>(count);
  if (typeof low === 'bigint') {
    for (let index = 0; index < count; index++) ids[index] = low + BigInt(index);
    return ids;
  }
  const first = Number(low);
  if (Number.isSafeInteger(first) && Number.isSafeInteger(first + count)) {
    const asString = typeof low === 'string';
    for (let index = 0; index < count; index++) ids[index] = asString ? String(first + index) : first + index;
    return ids;
  }
  const big = BigInt(low as string);
  for (let index = 0; index < count; index++) ids[index] = String(big + BigInt(index));
  return ids;
}
