import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MigrationFileError } from './migration-errors.js';
import { type MigrationName, parseMigrationName } from './migration-name.js';
import { MIGRATION_PHASES, type MigrationPhase } from './migration-phase.js';

/** What `newMigration` needs: the scope, the phase and a description (free text becomes snake_case). */
export interface NewMigrationOptions {
  scope: string;
  phase: MigrationPhase;
  description: string;
  /** `sql` (default), or `ts`/`js` for code migrations such as batchUpdate backfills. */
  extension?: 'sql' | 'ts' | 'js' | undefined;
}

/** The file `newMigration` created. */
export interface NewMigration extends MigrationName {
  path: string;
}

const HINTS: Record<MigrationPhase, string[]> = {
  expand: [
    'expand: only add. New tables, nullable columns (or with a constant default),',
    'CREATE INDEX CONCURRENTLY, constraints NOT VALID. Runs before the code deploy.',
    'Rollback runs the down section: drop what up adds.',
  ],
  backfill: [
    'backfill: only change data, in batches, idempotently (safe to run twice).',
    'Runs before the code deploy. Rollback is a no-op: the next up re-runs it.',
  ],
  validate: [
    'validate: tighten. VALIDATE CONSTRAINT, SET NOT NULL after a validated check.',
    'Runs before the code deploy. Rollback runs the down section: drop the constraint.',
  ],
  contract: [
    'contract: remove what the deployed code no longer uses (DROP, RENAME).',
    'Runs only with up --post-deploy, after a deploy recorded with `deploy mark`.',
    'Cannot be rolled back: restore from backup.',
  ],
};

function sqlTemplate(phase: MigrationPhase): string {
  const comments = HINTS[phase].map((line) => `-- ${line}`).join('\n');
  const down = phase === 'backfill' || phase === 'contract' ? '' : '\n';
  return `${comments}\n-- migrate:up\n\n\n-- migrate:down\n${down}`;
}

function moduleTemplate(phase: MigrationPhase, typescript: boolean): string {
  const comments = HINTS[phase].map((line) => `// ${line}`).join('\n');
  const knexType = typescript ? ': Knex' : '';
  const imports = typescript ? "import type { Knex } from 'knex';\n" : '';
  if (phase === 'backfill') {
    return `${comments}
${typescript ? "import type { Knex } from 'knex';\n" : ''}import { batchUpdate } from '@strata/migrate';

// batchUpdate commits per batch, so this migration runs outside a transaction.
export const config = { transaction: false };

export async function up(knex${knexType}) {
  await batchUpdate(knex, {
    table: 'my_table',
    set: { new_column: knex.raw('old_column') },
    where: { new_column: null },
    batchSize: 1000,
  });
}
`;
  }
  return `${comments}
${imports}
export async function up(knex${knexType}) {}

export async function down(knex${knexType}) {}
`;
}

const toSnakeCase = (text: string): string =>
  text
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');

/**
 * Creates `{next seq}_{scope}_{phase}_{description}.sql` (or `.ts`/`.js`) in `directory` with
 * an up/down template for the phase. The seq is one more than the highest in the directory,
 * zero-padded to at least 3 digits. Throws `MigrationNameError` if the parts break a naming rule.
 */
export async function createMigrationFile(
  directory: string,
  options: NewMigrationOptions,
): Promise<NewMigration> {
  if (!(MIGRATION_PHASES as readonly string[]).includes(options.phase)) {
    throw new MigrationFileError(
      `(new ${options.scope} migration)`,
      `phase must be one of ${MIGRATION_PHASES.join(', ')} (got "${options.phase}")`,
    );
  }
  await mkdir(directory, { recursive: true });
  const existing = (await readdir(directory)).flatMap((fileName) => {
    try {
      return [parseMigrationName(fileName)];
    } catch {
      return [];
    }
  });
  const highest = existing.reduce((max, name) => Math.max(max, name.seq), 0);
  const width = existing.reduce((max, name) => Math.max(max, name.seqText.length), 3);
  const seqText = String(highest + 1).padStart(width, '0');
  const extension = options.extension ?? 'sql';
  const name = parseMigrationName(
    `${seqText}_${options.scope}_${options.phase}_${toSnakeCase(options.description)}.${extension}`,
  );
  const filePath = path.join(directory, name.fileName);
  const content =
    extension === 'sql' ? sqlTemplate(name.phase) : moduleTemplate(name.phase, extension === 'ts');
  await writeFile(filePath, content, { flag: 'wx' });
  return { ...name, path: path.resolve(filePath) };
}
