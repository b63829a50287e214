import { InvalidQueryError, UnknownRelationError } from './repository-errors.js';

/** Relations to load with the result: `'items'`, `'items.product'`, or several of them. */
export type With = string | readonly string[];

/** An Objection object relation expression, e.g. `{ items: { product: true } }`. */
export type RelationTree = { [relation: string]: RelationTree | true };

/** The part of an Objection model class this needs. */
interface RelationSource {
  name: string;
  getRelations(): Record<string, { relatedModelClass: RelationSource }>;
}

/**
 * Checks every relation path in `relations` against the models' `relationMappings` (through
 * nested paths) and returns the object expression Objection's `withGraphFetched` and
 * `fetchGraph` take. Unknown names throw UnknownRelationError listing the ones that exist.
 */
export function resolveRelations(model: RelationSource, relations: With): RelationTree {
  const paths = typeof relations === 'string' ? [relations] : relations;
  if (!Array.isArray(paths)) throw new InvalidQueryError('with', 'give a relation name or an array of them');
  const tree: RelationTree = {};
  for (const path of paths) {
    if (typeof path !== 'string' || !/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/.test(path)) {
      throw new InvalidQueryError(
        'with',
        `"${String(path)}" is not a relation path like "items" or "items.product"`,
      );
    }
    let node = tree;
    let current = model;
    for (const name of path.split('.')) {
      const relations = current.getRelations();
      const relation = Object.hasOwn(relations, name) ? relations[name] : undefined;
      if (!relation) throw new UnknownRelationError(current.name, name, Object.keys(relations));
      const child = node[name];
      const next: RelationTree = child === undefined || child === true ? {} : child;
      node[name] = next;
      node = next;
      current = relation.relatedModelClass;
    }
  }
  return tree;
}
