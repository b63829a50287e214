import { StrataError } from '@strata/errors';

/** Which naming rule a migration file name broke. */
export type MigrationNameRule =
  | 'extension'
  | 'format'
  | 'seq'
  | 'scope'
  | 'phase'
  | 'description'
  | 'unique-seq';

/**
 * A migration file name breaks the `{seq}_{scope}_{phase}_{description}.{sql|ts|js}` format.
 * `fileName` is the file, `rule` the rule it broke; the message says both and how to fix it.
 */
export class MigrationNameError extends StrataError {
  readonly fileName: string;
  readonly rule: MigrationNameRule;

  constructor(
    fileName: string,
    rule: MigrationNameRule,
    detail: string,
    code = 'MIGRATION_NAME_INVALID',
    message = `Invalid migration file name "${fileName}" (rule: ${rule}): ${detail}. Expected {seq}_{scope}_{phase}_{description}.sql, e.g. 001_user_auth_expand_add_currency_column.sql.`,
  ) {
    super(code, message);
    this.fileName = fileName;
    this.rule = rule;
  }
}

/** Two or more migration files share a sequence number. `pairs` names the files. */
export class DuplicateMigrationSeqError extends MigrationNameError {
  readonly pairs: readonly (readonly [string, string])[];

  constructor(pairs: readonly (readonly [string, string])[]) {
    const list = pairs.map(([a, b]) => `"${a}" and "${b}"`).join('; ');
    super(
      pairs[0]?.[1] ?? '',
      'unique-seq',
      `the sequence number is already used: ${list}. Give one of them the next free number`,
      'DUPLICATE_MIGRATION_SEQ',
      `Duplicate migration sequence number: ${list}. Sequence numbers are global; renumber one of them.`,
    );
    this.pairs = pairs;
  }
}
