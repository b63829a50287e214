import { createHash } from 'node:crypto';

// Past this many distinct statements, new ones run unnamed: an app that builds SQL text
// dynamically must not grow every connection's prepared-statement cache without bound.
const MAX_NAMED_STATEMENTS = 5_000;

/**
 * Names for prepared statements, derived from a hash of the SQL text so the same text gets
 * the same name on every connection (node-postgres then prepares it once per connection).
 */
export class StatementNames {
  readonly #names = new Map<string, string>();

  /** The statement's name, or undefined when the cache is full and it should run unnamed. */
  nameFor(text: string): string | undefined {
    let name = this.#names.get(text);
    if (name === undefined && this.#names.size < MAX_NAMED_STATEMENTS) {
      name = `strata_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
      this.#names.set(text, name);
    }
    return name;
  }
}
