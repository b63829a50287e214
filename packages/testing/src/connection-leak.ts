import { AsyncLocalStorage } from 'node:async_hooks';
import { fileURLToPath } from 'node:url';
import { StrataError } from '@strata/errors';
import { getAmbientConnection, type Pool, type PoolClient } from '@strata/pool';

/** A client a test checked out with `pool.connect()`, and where. */
interface Checkout {
  readonly client: PoolClient;
  /** The caller's stack frames at `pool.connect()`. */
  readonly acquiredAt: string;
}

interface LeakScope {
  readonly pool: Pool;
  readonly checkouts: Checkout[];
}

/** A test finished with pool connections still checked out. */
export class ConnectionLeakError extends StrataError {
  readonly active: number;
  /** The test that leaked, when known. */
  readonly test: string | undefined;
  /** Where each leaked client was acquired (stack frames), when known. */
  readonly acquiredAt: readonly string[];

  constructor(
    active: number,
    options: { test?: string; acquiredAt?: readonly string[]; closed?: boolean } = {},
  ) {
    const where = (options.acquiredAt ?? []).map((stack) => `\nacquired at:\n${stack}`).join('');
    let message: string;
    if (options.test === undefined) {
      message = `${active} pool connection(s) were still checked out after the test. Release every client from pool.connect() in a finally block; set the pool's leakDetectionThreshold to see where it was acquired.`;
    } else if (options.closed) {
      message = `Test "${options.test}" left ${active} pool connection(s) checked out; they were closed so later tests are unaffected. Release every client from pool.connect() in a finally block.`;
    } else {
      message = `Test "${options.test}" finished with ${active} pool connection(s) still checked out, not by a pool.connect() in its body (a query or Knex transaction still running?). Await everything the test starts; set the pool's leakDetectionThreshold to see where it was acquired.`;
    }
    message += where;
    super('CONNECTION_LEAK', message);
    this.active = active;
    this.test = options.test;
    this.acquiredAt = options.acquiredAt ?? [];
  }
}

const scopes = new AsyncLocalStorage<LeakScope>();
const tracked = new WeakSet<Pool>();

const OWN_FILE = fileURLToPath(import.meta.url);

// The frames of the code that called pool.connect(): this file's own and Node's internals say
// nothing about where the leak is.
function callerFrames(stack: string | undefined): string {
  return (stack ?? '')
    .split('\n')
    .slice(1)
    .filter(
      (frame) =>
        !frame.includes(OWN_FILE) && !frame.includes(import.meta.url) && !frame.includes('node:internal'),
    )
    .slice(0, 6)
    .join('\n');
}

// The pool has no checkout events, so the one door, pool.connect(), is wrapped on this pool
// only. Outside withConnectionLeakCheck it records nothing.
function trackCheckouts(pool: Pool): void {
  if (tracked.has(pool)) return;
  tracked.add(pool);
  const connect = pool.connect.bind(pool);
  pool.connect = async () => {
    const scope = scopes.getStore();
    if (scope?.pool !== pool) return connect();
    const acquiredAt = callerFrames(new Error('acquired').stack);
    const client = await connect();
    scope.checkouts.push({ client, acquiredAt });
    return client;
  };
}

/**
 * Runs one test's body and checks that every client it took with `pool.connect()` was
 * released. Leaked clients are closed (not returned to the pool: their session state is
 * unknown), so later tests are unaffected, and `ConnectionLeakError` names the test and
 * where each client was acquired. When the body itself failed, its error is rethrown after
 * the clean-up. This is what `@strata/testing/vitest` runs around every test.
 */
export async function withConnectionLeakCheck<T>(
  pool: Pool,
  testName: string,
  fn: () => Promise<T> | T,
): Promise<T> {
  trackCheckouts(pool);
  const scope: LeakScope = { pool, checkouts: [] };
  let outcome: { failed: false; result: T } | { failed: true; error: unknown };
  try {
    outcome = { failed: false, result: await scopes.run(scope, fn) };
  } catch (error) {
    outcome = { failed: true, error };
  }
  // Whether or not the body failed: a leak must never outlive its test.
  const leaked = scope.checkouts.filter((checkout) => !checkout.client.released);
  for (const checkout of leaked) checkout.client.release(true);
  if (outcome.failed) throw outcome.error;
  if (leaked.length > 0) {
    throw new ConnectionLeakError(leaked.length, {
      test: testName,
      acquiredAt: leaked.map((checkout) => checkout.acquiredAt),
      closed: true,
    });
  }
  return outcome.result;
}

/**
 * Throws `ConnectionLeakError` when any of the pool's connections is still checked out. Inside
 * a transaction on `pool` (a test of `@strata/testing/vitest` runs in one), the connection
 * that transaction runs on is not counted, so it can be called in the middle of a test.
 */
export function assertNoConnectionLeak(pool: Pool): void {
  const ambient = getAmbientConnection(pool);
  const own = ambient !== undefined && !ambient.released ? 1 : 0;
  const active = pool.stats().active - own;
  if (active > 0) {
    const acquiredAt = scopes
      .getStore()
      ?.checkouts.filter((checkout) => !checkout.client.released)
      .map((checkout) => checkout.acquiredAt);
    throw new ConnectionLeakError(active, acquiredAt ? { acquiredAt } : {});
  }
}
