import type pg from 'pg';
import type { QueryResult } from './pool.js';

/**
 * Sends one statement as node-postgres does: without values by the simple protocol, with
 * values by the extended protocol, as the prepared statement `name` when one is given.
 */
export function sendStatement<Row>(
  client: pg.Client,
  text: string,
  values: readonly unknown[] | undefined,
  name: string | undefined,
): Promise<QueryResult<Row>> {
  return client.query(
    values === undefined ? text : { name, text, values: values as unknown[] },
  ) as unknown as Promise<QueryResult<Row>>;
}
