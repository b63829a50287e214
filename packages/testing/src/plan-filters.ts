/** The parts of an `EXPLAIN (FORMAT JSON, VERBOSE)` plan node the missing-index detector reads. */
export interface PlanNode {
  'Node Type'?: string;
  'Relation Name'?: string;
  Schema?: string;
  Alias?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Filter?: string;
  Plans?: PlanNode[];
}

/** A scan of a table that filters the rows it reads. */
export interface FilteredScan {
  schema: string;
  table: string;
  /** The filter as PostgreSQL prints it, e.g. `(tickets.assignee_email = $1)`. */
  filter: string;
  /** How the table is read, e.g. `Seq Scan` or `Index Scan using tickets_pkey`. */
  scan: string;
  /** True for a sequential scan: every row of the table is read. */
  sequential: boolean;
  /**
   * True when an index condition limits the rows read before the filter (`Index Cond`, or the
   * bitmap of a Bitmap Heap Scan); false when the scan walks the whole table or index.
   */
  narrowed: boolean;
  /** The table's columns the filter reads, in order of first mention. */
  columns: string[];
}

const TABLE_SCANS = new Set(['Seq Scan', 'Index Scan', 'Index Only Scan', 'Bitmap Heap Scan']);
const IDENTIFIER = '(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")';

function unquote(identifier: string): string {
  return identifier.startsWith('"') ? identifier.slice(1, -1).replaceAll('""', '"') : identifier;
}

/**
 * The columns of `alias` that `filter` reads. VERBOSE plans qualify every column with its
 * relation's alias, so `alias.column` is found textually — after dropping string literals,
 * which may contain anything. (A parser would refuse filters such as `(SubPlan 1)`.)
 */
export function filterColumns(filter: string, alias: string): string[] {
  const code = filter.replace(/'(?:[^']|'')*'/g, "''");
  const reference = new RegExp(`(?<![\\w$."])(${IDENTIFIER})\\.(${IDENTIFIER})`, 'g');
  const columns: string[] = [];
  for (const [, qualifier, column] of code.matchAll(reference)) {
    if (unquote(qualifier as string) !== alias) continue;
    const name = unquote(column as string);
    if (!columns.includes(name)) columns.push(name);
  }
  return columns;
}

function indexOfBitmap(node: PlanNode): string | undefined {
  for (const child of node.Plans ?? []) {
    if (child['Index Name']) return child['Index Name'];
    const nested = indexOfBitmap(child);
    if (nested) return nested;
  }
  return undefined;
}

function describeScan(node: PlanNode, type: string): string {
  if (type === 'Seq Scan') return type;
  const index = type === 'Bitmap Heap Scan' ? indexOfBitmap(node) : node['Index Name'];
  return index ? `${type} using ${index}` : type;
}

/** Every table scan in the plan that applies a `Filter`, wherever it sits in the tree. */
export function* filteredScans(node: PlanNode): Generator<FilteredScan> {
  const type = node['Node Type'] ?? '';
  if (TABLE_SCANS.has(type) && node.Filter && node['Relation Name']) {
    const table = node['Relation Name'];
    yield {
      schema: node.Schema ?? 'public',
      table,
      filter: node.Filter,
      scan: describeScan(node, type),
      sequential: type === 'Seq Scan',
      narrowed: type === 'Bitmap Heap Scan' || Boolean(node['Index Cond']),
      columns: filterColumns(node.Filter, node.Alias ?? table),
    };
  }
  for (const child of node.Plans ?? []) yield* filteredScans(child);
}
