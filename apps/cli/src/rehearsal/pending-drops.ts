import { lockedRelations, type MigrationFile, statementLocks } from '@strata/migrate';
import type { SqlClient } from '../database/connect.js';
import type { TableInfo } from './table-catalog.js';

/**
 * The tables the pending migrations drop, which the rehearsal need not fill (a reason per
 * table oid): tables a pending SQL migration names in DROP TABLE, as the catalog resolves
 * them — unless a table that is filled has a foreign key to it, whose rows need parents.
 */
export async function tablesDroppedByPending(
  client: SqlClient,
  pending: readonly MigrationFile[],
  catalog: readonly TableInfo[],
): Promise<Map<number, string>> {
  const reasons = new Map<number, string>();
  for (const file of pending) {
    const locks = (await Promise.all((file.sql?.up.statements ?? []).map(statementLocks))).flat();
    const dropped = (
      await lockedRelations(
        client,
        locks.filter((lock) => lock.drops),
      )
    ).filter(
      (relation) => relation.named && relation.drops && (relation.kind === 'r' || relation.kind === 'p'),
    );
    for (const relation of dropped) {
      if (!reasons.has(relation.oid)) {
        reasons.set(relation.oid, `not filled: ${file.name} (pending) drops it`);
      }
    }
  }
  // A dropped table that a filled table references is filled after all, as a parent.
  for (let changed = true; changed; ) {
    changed = false;
    for (const table of catalog) {
      if (reasons.has(table.oid)) continue;
      for (const foreignKey of table.foreignKeys) {
        if (foreignKey.parentOid !== table.oid && reasons.delete(foreignKey.parentOid)) changed = true;
      }
    }
  }
  return reasons;
}
