import { lockedRelations, splitSqlStatements, statementLocks } from '@strata/migrate';
import type { SqlClient } from '../database/connect.js';
import type { ObservedLock } from './rehearsal-verdict.js';
import type { ExistingRelation } from './relation-snapshot.js';

/**
 * The write-blocking locks a SQL migration's statements take on relations that exist before
 * it runs, known from the statements themselves (`statementLocks`, resolved in the catalog):
 * what a lock sampler misses when a lock is held for less than its interval, as a DROP TABLE
 * is. Marked `source: 'statement'`, with no measured duration. Empty for `.ts`/`.js`
 * migrations, whose SQL is code.
 */
export async function locksFromStatements(
  client: SqlClient,
  sql: string | null,
  existing: ReadonlyMap<number, ExistingRelation>,
): Promise<ObservedLock[]> {
  if (sql === null) return [];
  const statements = await splitSqlStatements(sql, { unparsable: 'keep' });
  const locks = (await Promise.all(statements.map(statementLocks))).flat();
  const relations = await lockedRelations(client, locks);
  const seen = new Set<string>();
  return relations.flatMap((relation): ObservedLock[] => {
    const before = existing.get(relation.oid);
    const key = `${relation.oid}:${relation.mode}`;
    if (!before || seen.has(key)) return [];
    seen.add(key);
    return [
      {
        relation: before.name,
        relationKind: before.kind === 'i' || before.kind === 'I' ? 'index' : 'table',
        mode: relation.mode,
        source: 'statement',
        heldMs: null,
      },
    ];
  });
}
