import { batchUpdate, createMigrator, type UpResult } from '@strata/migrate';
import type { Knex } from 'knex';

export async function migrate(connectionString: string): Promise<UpResult> {
  const migrator = createMigrator({ connectionString, directory: './migrations' });
  try {
    return await migrator.up();
  } finally {
    await migrator.close();
  }
}

export function backfill(knex: Knex) {
  return batchUpdate(knex, {
    table: 'people',
    set: { name_normalised: true },
    where: knex.raw('name <> trim(name)'),
  });
}
