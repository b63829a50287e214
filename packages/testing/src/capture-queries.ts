import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';

/** A statement sent to PostgreSQL through `pg` (raw, Knex, Objection and Strata all use it). */
export interface CapturedQuery {
  text: string;
  values: readonly unknown[] | undefined;
  /** The named prepared statement, when the query was sent as one. */
  name: string | undefined;
}

const captures = new AsyncLocalStorage<CapturedQuery[][]>();
let installed = false;

// pg has no query events, so the capture sits on Client.prototype.query, the one door every
// library on pg goes through. It records only inside captureQueries() (async-context scoped),
// so concurrent work elsewhere in the process is not counted.
function install(): void {
  if (installed) return;
  installed = true;
  const original = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  pg.Client.prototype.query = function capturingQuery(this: pg.Client, ...args: unknown[]) {
    const sinks = captures.getStore();
    if (sinks) {
      const [config, values] = args as [unknown, unknown];
      const query: CapturedQuery =
        typeof config === 'string'
          ? { text: config, values: Array.isArray(values) ? values : undefined, name: undefined }
          : {
              text: String((config as { text?: unknown }).text ?? ''),
              values: Array.isArray(values)
                ? values
                : ((config as { values?: unknown[] }).values ?? undefined),
              name: (config as { name?: string }).name,
            };
      for (const sink of sinks) sink.push(query);
    }
    return original.apply(this, args);
  } as typeof pg.Client.prototype.query;
}

/**
 * Runs `fn` and returns what it resolved to with every statement it sent through `pg`, in
 * order. `fn` may return a promise or any thenable — a Knex or Objection query builder
 * returned without `await` runs (and is captured) here. Captures nest: an outer capture sees
 * the inner one's queries too.
 */
export async function captureQueries<T>(
  fn: () => T | PromiseLike<T>,
): Promise<{ result: Awaited<T>; queries: CapturedQuery[] }> {
  install();
  const queries: CapturedQuery[] = [];
  const sinks = [...(captures.getStore() ?? []), queries];
  // Awaited inside run(): a builder sends its statement only when `then` is called, and that
  // call must happen in the capture's async context.
  const result = await captures.run(sinks, async () => await fn());
  return { result, queries };
}
