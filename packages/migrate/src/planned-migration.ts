import { importMigrationModule, type MigrationFile } from './migration-file.js';
import type { MigrationPhase } from './migration-phase.js';

/** A migration `up` would run, with what it would execute. */
export interface PlannedMigration {
  seq: number;
  name: string;
  fileName: string;
  scope: string;
  phase: MigrationPhase;
  kind: 'sql' | 'module';
  /** False when it runs statement by statement; `nonTransactional` says which statements force that. */
  transactional: boolean;
  nonTransactional: { line: number; reason: string }[];
  /** The up SQL; null for `.ts`/`.js` migrations, whose up() runs code. */
  sql: string | null;
}

/** What `plan` shows for a migration `up` would run: how it runs, and its SQL. */
export async function plannedMigration(file: MigrationFile): Promise<PlannedMigration> {
  const base = {
    seq: file.seq,
    name: file.name,
    fileName: file.fileName,
    scope: file.scope,
    phase: file.phase,
  };
  if (file.sql) {
    return {
      ...base,
      kind: 'sql',
      transactional: file.sql.up.transactional,
      nonTransactional: file.sql.up.statements.flatMap((statement) =>
        statement.nonTransactional ? [{ line: statement.line, reason: statement.nonTransactional }] : [],
      ),
      sql: file.sql.up.sql,
    };
  }
  const loaded = await importMigrationModule(file);
  return {
    ...base,
    kind: 'module',
    transactional: loaded.settings.transaction !== false,
    nonTransactional:
      loaded.settings.transaction === false ? [{ line: 1, reason: 'config.transaction = false' }] : [],
    sql: null,
  };
}
