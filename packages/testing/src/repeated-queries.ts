import { StrataError } from '@strata/errors';
import { type CapturedQuery, captureQueries } from './capture-queries.js';
import { loadQueryParser, queryShape, statementKinds } from './query-shape.js';

/** One statement shape that ran more often than allowed. */
export interface RepeatedQuery {
  shape: string;
  count: number;
  example: string;
}

export interface RepeatedQueryOptions {
  /** How many runs of one read shape are still fine (default 3). */
  threshold?: number;
}

/** The same read ran once per row: the N+1 pattern. Batch it (a JOIN, `IN (...)`, or a batched loader). */
export class NPlusOneQueryError extends StrataError {
  readonly repeated: readonly RepeatedQuery[];

  constructor(repeated: readonly RepeatedQuery[], threshold: number) {
    const lines = repeated.map((r) => `  ${r.count}× ${r.example.replace(/\s+/g, ' ').trim()}`);
    super(
      'N_PLUS_ONE_QUERY',
      `N+1 queries: these reads ran more than ${threshold} times each. Load them in one query (JOIN, IN (...), or withGraphFetched):\n${lines.join('\n')}`,
    );
    this.repeated = repeated;
  }
}

/** Groups captured reads by shape (PostgreSQL's fingerprint) and returns those over the threshold. */
export async function findRepeatedQueries(
  queries: readonly CapturedQuery[],
  options: RepeatedQueryOptions = {},
): Promise<RepeatedQuery[]> {
  await loadQueryParser();
  const threshold = options.threshold ?? 3;
  const byShape = new Map<string, RepeatedQuery>();
  for (const query of queries) {
    const kinds = statementKinds(query.text);
    if (kinds.length !== 1 || kinds[0] !== 'SelectStmt') continue;
    const shape = queryShape(query.text);
    const entry = byShape.get(shape) ?? { shape, count: 0, example: query.text };
    entry.count += 1;
    byShape.set(shape, entry);
  }
  return [...byShape.values()].filter((entry) => entry.count > threshold);
}

/**
 * Runs `fn` (a promise or a query builder it returns is awaited inside the capture) and throws
 * `NPlusOneQueryError` when one read shape ran more than `threshold` times.
 */
export async function assertNoNPlusOne<T>(
  fn: () => T | PromiseLike<T>,
  options: RepeatedQueryOptions = {},
): Promise<Awaited<T>> {
  const { result, queries } = await captureQueries(fn);
  const repeated = await findRepeatedQueries(queries, options);
  if (repeated.length > 0) throw new NPlusOneQueryError(repeated, options.threshold ?? 3);
  return result;
}
