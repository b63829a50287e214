import type { Node, RangeVar, TypeName } from 'libpg-query';

// Readers for PostgreSQL's parse tree as libpg-query returns it: every node is an object with
// one key naming its type, e.g. `{ IndexStmt: { concurrent: true, ... } }`. Fields equal to
// their protobuf default (false, 0, empty) are omitted by the parser.

/** Every node type name, e.g. `IndexStmt`, `AlterTableCmd`, `A_Const`. */
export type NodeType = KeysOfUnion<Node>;

// Distributes over the union, so every member's key is kept (keyof a union keeps only common ones).
type KeysOfUnion<T> = T extends unknown ? keyof T : never;

/** The payload of a node of type `T`, e.g. `NodeOf<'IndexStmt'>` is `IndexStmt`. */
export type NodeOf<T extends NodeType> = Extract<Node, Record<T, unknown>>[T];

/** The type name of a node, e.g. `IndexStmt`. */
export function nodeType(node: Node | undefined): NodeType | undefined {
  if (node === undefined) return undefined;
  return Object.keys(node)[0] as NodeType | undefined;
}

/** The payload of `node` when it is of type `type`, otherwise `undefined`. */
export function nodeAs<T extends NodeType>(node: Node | undefined, type: T): NodeOf<T> | undefined {
  if (node === undefined || !(type in node)) return undefined;
  return (node as unknown as Record<T, NodeOf<T>>)[type];
}

/** The `sval`s of a list of `String` nodes, e.g. a qualified name `['pg_catalog', 'int4']`. */
export function stringValues(nodes: readonly Node[] | undefined): string[] {
  return (nodes ?? []).flatMap((node) => {
    const value = nodeAs(node, 'String')?.sval;
    return value === undefined ? [] : [value];
  });
}

/** `schema.table`, or `table` when the statement does not qualify it. */
export function relationName(relation: RangeVar | undefined): string {
  if (relation?.relname === undefined) return '?';
  return relation.schemaname ? `${relation.schemaname}.${relation.relname}` : relation.relname;
}

/**
 * The base name of a type as PostgreSQL resolved it, without the `pg_catalog.` qualifier
 * the grammar adds to SQL-standard types: `integer` → `int4`, `varchar(20)` → `varchar`,
 * `timestamp with time zone` → `timestamptz`. `serial` stays `serial` (it is expanded later).
 */
export function typeBaseName(typeName: TypeName | undefined): string {
  const names = stringValues(typeName?.names);
  return names[names.length - 1] ?? '';
}

/** Whether a type is written with a length/precision modifier, e.g. `varchar(20)`. */
export function hasTypeModifier(typeName: TypeName | undefined): boolean {
  return (typeName?.typmods?.length ?? 0) > 0;
}

/** SQL for a type as written by the user, for messages: `varchar(20)`, `timestamp`. */
export function typeDisplayName(typeName: TypeName | undefined): string {
  const base = typeBaseName(typeName);
  const modifiers = (typeName?.typmods ?? []).map((node) => {
    const constant = nodeAs(node, 'A_Const');
    return String(constant?.ival?.ival ?? 0);
  });
  return modifiers.length > 0 ? `${base}(${modifiers.join(',')})` : base;
}

/**
 * Calls `visit` on `node` and every node below it, depth first. Stops descending into a node
 * when `visit` returns `false`.
 */
export function walkTree(node: unknown, visit: (node: Node) => boolean | undefined): void {
  if (Array.isArray(node)) {
    for (const item of node) walkTree(item, visit);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const keys = Object.keys(node);
  // A node is `{ TypeName: payload }` with a capitalised key; anything else is a payload
  // (or a field holding a payload directly, such as `relation: RangeVar`).
  const isNode = keys.length === 1 && /^[A-Z]/.test(keys[0] ?? '');
  if (isNode && visit(node as Node) === false) return;
  for (const value of Object.values(node)) walkTree(value, visit);
}

/** The smallest `location` found on `node` or below it, or `undefined` if none is known. */
export function firstLocation(node: unknown): number | undefined {
  let best: number | undefined;
  const consider = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) consider(item);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    for (const [key, field] of Object.entries(value)) {
      if (key === 'location' && typeof field === 'number' && field >= 0) {
        best = best === undefined ? field : Math.min(best, field);
      } else {
        consider(field);
      }
    }
  };
  consider(node);
  return best;
}
