import { DuplicateMigrationSeqError, MigrationNameError } from './migration-errors.js';
import { MIGRATION_PHASES, type MigrationPhase } from './migration-phase.js';

/** File extensions a migration may have. */
export const MIGRATION_EXTENSIONS = ['.sql', '.ts', '.js'] as const;

export type MigrationExtension = (typeof MIGRATION_EXTENSIONS)[number];

/** The parts of a migration file name `{seq}_{scope}_{phase}_{description}.{sql|ts|js}`. */
export interface MigrationName {
  /** The file name as given, without any directory. */
  fileName: string;
  /** The file name without its extension; this is what the history table records. */
  name: string;
  /** The global sequence number, e.g. 1 for `001`. Unique across all migrations. */
  seq: number;
  /** The sequence as written, e.g. `001`. */
  seqText: string;
  /** A ticket id or short feature name, e.g. `PROJ-123` or `user_auth`. */
  scope: string;
  phase: MigrationPhase;
  /** snake_case, e.g. `add_currency_column`. */
  description: string;
  extension: MigrationExtension;
}

const SEQ = /^[0-9]{3,}$/;
// A scope is a ticket id (`PROJ-123`) or a short feature name (`user_auth`): letters, digits,
// `-` and `_`, starting with a letter, with no empty segment.
const SCOPE = /^[A-Za-z][A-Za-z0-9]*(?:[-_][A-Za-z0-9]+)*$/;
const DESCRIPTION = /^[a-z0-9]+(?:_[a-z0-9]+)*$/;
const MAX_SCOPE_LENGTH = 64;
const MAX_NAME_LENGTH = 200;
// The history table stores seq as a PostgreSQL integer.
const MAX_SEQ = 2_147_483_647;

const isPhase = (segment: string): segment is MigrationPhase =>
  (MIGRATION_PHASES as readonly string[]).includes(segment);

/**
 * Parses a migration file name `{seq}_{scope}_{phase}_{description}.{sql|ts|js}`, e.g.
 * `001_user_auth_expand_add_currency_column.sql`. The phase is the first `_`-separated
 * segment after the seq that is a phase word, so a scope may contain `_` but not a phase
 * word as a whole segment. Throws `MigrationNameError` naming the file and the broken rule.
 */
export function parseMigrationName(fileName: string): MigrationName {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const fail = (rule: MigrationNameError['rule'], message: string): never => {
    throw new MigrationNameError(base, rule, message);
  };

  const extension = MIGRATION_EXTENSIONS.find((ext) => base.endsWith(ext));
  if (!extension || base.endsWith('.d.ts')) {
    return fail('extension', 'the extension must be .sql, .ts or .js (lowercase)');
  }
  const name = base.slice(0, -extension.length);
  if (name.length > MAX_NAME_LENGTH) {
    fail('format', `the name must be at most ${MAX_NAME_LENGTH} characters`);
  }
  const segments = name.split('_');
  const seqText = segments[0] ?? '';
  if (!SEQ.test(seqText)) {
    fail(
      'seq',
      `it must start with a sequence number of 3 or more digits followed by "_" (got "${seqText}")`,
    );
  }
  const phaseIndex = segments.findIndex((segment, index) => index > 0 && isPhase(segment));
  if (phaseIndex === -1) {
    return fail(
      'phase',
      `it must contain a phase (${MIGRATION_PHASES.join(' | ')}) between the scope and the description`,
    );
  }
  if (phaseIndex === 1) {
    fail(
      'scope',
      'a scope (ticket id or feature name, e.g. PROJ-123 or user_auth) must follow the sequence number',
    );
  }
  const scope = segments.slice(1, phaseIndex).join('_');
  if (!SCOPE.test(scope) || scope.length > MAX_SCOPE_LENGTH) {
    fail(
      'scope',
      `the scope "${scope}" must start with a letter and contain only letters, digits, "-" and "_" (at most ${MAX_SCOPE_LENGTH} characters)`,
    );
  }
  const description = segments.slice(phaseIndex + 1).join('_');
  if (description === '') {
    fail('description', 'a snake_case description must follow the phase');
  }
  if (!DESCRIPTION.test(description)) {
    fail(
      'description',
      `the description "${description}" must be snake_case: lowercase letters and digits separated by single "_"`,
    );
  }
  const seq = Number.parseInt(seqText, 10);
  if (seq > MAX_SEQ) fail('seq', `the sequence number must be at most ${MAX_SEQ}`);
  return {
    fileName: base,
    name,
    seq,
    seqText,
    scope,
    phase: segments[phaseIndex] as MigrationPhase,
    description,
    extension,
  };
}

/**
 * Throws `DuplicateMigrationSeqError` naming both files when two migrations share a sequence
 * number (`001` and `0001` count as the same). Sequence numbers are global across scopes.
 */
export function assertUniqueSeqs(names: readonly Pick<MigrationName, 'seq' | 'fileName'>[]): void {
  const seen = new Map<number, string>();
  const duplicates: [string, string][] = [];
  for (const name of names) {
    const first = seen.get(name.seq);
    if (first === undefined) seen.set(name.seq, name.fileName);
    else duplicates.push([first, name.fileName]);
  }
  if (duplicates.length > 0) throw new DuplicateMigrationSeqError(duplicates);
}
