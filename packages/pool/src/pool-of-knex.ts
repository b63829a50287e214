import type { Pool } from './pool.js';

// Keyed weakly: a Knex instance lives exactly as long as its pool references it.
const pools = new WeakMap<object, Pool>();

/** Records that `knex` is `pool.knex`, when the pool builds it. */
export function registerPoolKnex(knex: object, pool: Pool): void {
  pools.set(knex, pool);
}

/**
 * The Strata pool whose `pool.knex` is `knex`, or undefined for any other Knex instance (and
 * for a Knex transaction object). `@strata/transactions` uses it so `withTransaction(pool.knex,
 * …)` is the pool's transaction: `pool.query` inside it joins in, as it does with the pool.
 */
export function poolOfKnex(knex: object): Pool | undefined {
  return pools.get(knex);
}
