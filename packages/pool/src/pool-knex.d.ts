// Hand-written, and copied to dist as it is (tsc drops the comments this file depends on).
//
// `knex` is an optional peer dependency of @strata/pool: a project that never touches
// `pool.knex` need not install it. Its declarations must then still compile in a strict
// consumer (`skipLibCheck: false`), where an unresolved `import ... from 'knex'` is an error.
// The directive below keeps that import quiet when knex is absent; the import then has the
// error type, which each conditional type below detects (`0 extends 1 & T` holds only for
// any-like types) and replaces with `KnexNotInstalled`. With knex installed they are Knex's
// own types. The checks are written inline on purpose: through a generic helper the error
// type would come out as `any`.

// @ts-ignore -- knex is an optional peer dependency; see above.
import type { Knex } from 'knex';

/**
 * The type of `pool.knex` when the `knex` package is not installed: nothing can be called on
 * it. Install knex (`npm install knex`) to use `pool.knex`; at run time it throws
 * `KnexNotInstalledError` until then.
 */
export interface KnexNotInstalled {
  readonly 'pool.knex needs the knex package: npm install knex': never;
}

/** The type of `pool.knex`: Knex's own `Knex` type when knex is installed. */
export type PoolKnex = 0 extends 1 & Knex ? KnexNotInstalled : Knex;

type KnexOptionsOf = 0 extends 1 & Knex
  ? KnexNotInstalled
  : Omit<Knex.Config, 'client' | 'connection' | 'pool' | 'connectionPool'>;

/**
 * Knex options the shared Knex instance accepts; connection and pool come from Strata. An
 * interface, so that types inferred from it (the config schema's) name it rather than spell
 * out Knex's types.
 */
export interface KnexOptions extends KnexOptionsOf {}
