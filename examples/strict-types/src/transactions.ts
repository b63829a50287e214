import type { Pool } from '@strata/pool';
import { type Transaction, withTransaction } from '@strata/transactions';

export function rename(pool: Pool, id: number, name: string): Promise<number> {
  return withTransaction(
    pool,
    async (tx: Transaction) => {
      const updated = await tx.query('update people set name = $2 where id = $1', [id, name]);
      await tx.knex('audit').insert({ person_id: id });
      return updated.rowCount ?? 0;
    },
    { isolationLevel: 'serializable' },
  );
}
