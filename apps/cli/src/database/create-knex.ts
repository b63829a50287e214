import knexFactory, { type Knex } from 'knex';

const silent = (): void => undefined;

/**
 * A small Knex pool for the CLI's migrator and module seeds. Knex's own logger writes
 * warnings (such as "Acquire connection error") to stdout with console.log, which would
 * corrupt `--json` output; every such failure also reaches the CLI as an error, which it
 * reports once, so the logger is silenced.
 */
export function createKnex(connectionString: string): Knex {
  return knexFactory({
    client: 'pg',
    connection: connectionString,
    pool: { min: 0, max: 4 },
    log: { warn: silent, error: silent, deprecate: silent, debug: silent },
  });
}
