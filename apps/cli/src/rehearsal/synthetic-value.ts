import type { ColumnInfo } from './table-catalog.js';

// varchar(n) and char(n) store n characters; their typmod is n + 4.
const lengthOf = (column: ColumnInfo): number | undefined =>
  column.typmod > 4 && ['varchar', 'bpchar'].includes(column.baseName) ? column.typmod - 4 : undefined;

function numericExpression(typmod: number): string {
  if (typmod < 4) return 'g::numeric';
  const precision = ((typmod - 4) >> 16) & 0xffff;
  const scale = (typmod - 4) & 0xffff;
  const integerDigits = precision - scale;
  if (integerDigits <= 0) return '0';
  if (integerDigits >= 18) return 'g::numeric';
  return `(g % ${10 ** integerDigits})::numeric`;
}

/**
 * A SQL expression, in terms of the row number `g` (1..N), giving row `g` a value that fits
 * the column's type: distinct per row where the type allows (so primary and unique keys
 * hold), within the length or precision of the type, cast to the column's own type (so a
 * domain's checks apply). Undefined for types it cannot make values for (the column is then
 * left NULL, or the table unfilled when the column is NOT NULL).
 */
export function syntheticValue(column: ColumnInfo): string | undefined {
  const expression = baseExpression(column);
  return expression === undefined ? undefined : `(${expression})::${column.typeSql}`;
}

function baseExpression(column: ColumnInfo): string | undefined {
  if (column.baseTyptype === 'e') {
    const range = `enum_range(null::${column.baseTypeSql})`;
    return `(${range})[1 + (g % cardinality(${range}))]`;
  }
  if (column.baseCategory === 'A') return `'{}'`;
  switch (column.baseName) {
    case 'int2':
      return '(g - 1) % 32767 + 1';
    case 'int4':
    case 'int8':
    case 'oid':
      return 'g';
    case 'numeric':
      return numericExpression(column.typmod);
    case 'float4':
    case 'float8':
      return 'g::float8';
    case 'money':
      return 'g::numeric';
    case 'bool':
      return 'g % 2 = 0';
    case 'uuid':
      return 'md5(g::text)::uuid';
    case 'date':
      return "date '2000-01-01' + g";
    case 'timestamp':
      return "timestamp '2000-01-01 00:00:00' + g * interval '1 second'";
    case 'timestamptz':
      return "timestamptz '2000-01-01 00:00:00+00' + g * interval '1 second'";
    case 'time':
      return "time '00:00' + (g % 86400) * interval '1 second'";
    case 'timetz':
      return "timetz '00:00+00' + (g % 86400) * interval '1 second'";
    case 'interval':
      return "g * interval '1 second'";
    case 'json':
      return "json_build_object('n', g)";
    case 'jsonb':
      return "jsonb_build_object('n', g)";
    case 'bytea':
      return "decode(md5(g::text), 'hex')";
    case 'inet':
      return "'10.0.0.0'::inet + g";
    case 'cidr':
      return "set_masklen('10.0.0.0'::inet + g, 32)::cidr";
    default:
      break;
  }
  if (column.baseCategory === 'S') {
    // The row number first, so values stay distinct when a short length cuts them; in hex,
    // so varchar(3) still holds 4 095 distinct values.
    const length = lengthOf(column);
    return length === undefined ? "g::text || ' row'" : `left(to_hex(g) || ' row', ${length})`;
  }
  return undefined;
}
