import { StrataError } from '@strata/errors';
import { type CapturedQuery, captureQueries } from './capture-queries.js';
import { isSessionControl, loadQueryParser } from './query-shape.js';

export interface ExpectQueriesOptions {
  /** Count BEGIN/COMMIT/SAVEPOINT/SET too (default: only the statements that do the work). */
  includeSessionControl?: boolean;
}

/** The code under test sent a different number of statements than the test expected. */
export class QueryCountError extends StrataError {
  readonly expected: string;
  readonly queries: readonly CapturedQuery[];

  constructor(expected: string, queries: readonly CapturedQuery[]) {
    const listing = queries.map(
      (query, index) => `  ${index + 1}. ${query.text.replace(/\s+/g, ' ').trim()}`,
    );
    super(
      'QUERY_COUNT_MISMATCH',
      `Expected ${expected} queries, but ${queries.length} ran:\n${listing.join('\n')}`,
    );
    this.expected = expected;
    this.queries = queries;
  }
}

/**
 * Asserts how many statements `fn` sends to PostgreSQL (through pg, Knex, Objection or
 * Strata), not counting transaction control unless asked. `fn` may return a query builder
 * without awaiting it; it is run inside the count. On mismatch the error lists them.
 *
 * @example
 * const orders = await expectQueries(() => repository.listWithItems()).toBe(2);
 */
export function expectQueries<T>(fn: () => T | PromiseLike<T>, options: ExpectQueriesOptions = {}) {
  const run = async (accept: (count: number) => boolean, expected: string): Promise<Awaited<T>> => {
    await loadQueryParser();
    const { result, queries } = await captureQueries(fn);
    const counted = options.includeSessionControl
      ? queries
      : queries.filter((query) => !isSessionControl(query.text));
    if (!accept(counted.length)) throw new QueryCountError(expected, counted);
    return result;
  };
  return {
    toBe: (count: number) => run((actual) => actual === count, `exactly ${count}`),
    toBeAtMost: (count: number) => run((actual) => actual <= count, `at most ${count}`),
  };
}
