import { StrataError } from '@strata/errors';
import type { AppliedMigration } from './migration-result.js';

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

/** A migration file's content is not usable: a missing `-- migrate:up` marker, bad SQL, a bad `config` export, ... */
export class MigrationFileError extends StrataError {
  readonly fileName: string;
  /** 1-based line in the file, when the problem has one. */
  readonly line: number | undefined;

  constructor(
    fileName: string,
    problem: string,
    options: { line?: number | undefined; cause?: unknown } = {},
  ) {
    const where = options.line === undefined ? fileName : `${fileName}:${options.line}`;
    super('MIGRATION_FILE_INVALID', `Migration ${where}: ${problem}`, { cause: options.cause });
    this.fileName = fileName;
    this.line = options.line;
  }
}

/** The migrations directory does not exist or cannot be read. */
export class MigrationDirectoryError extends StrataError {
  readonly directory: string;

  constructor(directory: string, problem: string, options: { cause?: unknown } = {}) {
    super('MIGRATION_DIRECTORY_INVALID', `Migrations directory "${directory}": ${problem}`, options);
    this.directory = directory;
  }
}

/**
 * Applied migrations no longer match their files: `changed` were edited after they ran,
 * `missing` were deleted or renamed. Nothing runs until the files are restored, because the
 * database no longer matches what the files say.
 */
export class MigrationChecksumError extends StrataError {
  readonly changed: readonly string[];
  readonly missing: readonly string[];

  constructor(changed: readonly string[], missing: readonly string[]) {
    const parts = [
      changed.length > 0 ? `changed after being applied: ${changed.join(', ')}` : '',
      missing.length > 0 ? `applied but missing from the directory: ${missing.join(', ')}` : '',
    ].filter(Boolean);
    super(
      'MIGRATION_CHECKSUM_MISMATCH',
      `Applied migrations do not match their files (${parts.join('; ')}). Restore the original files; make further changes in a new migration.`,
    );
    this.changed = changed;
    this.missing = missing;
  }
}

/** Another migrator held the migration lock for longer than `lockWaitTimeout`. */
export class MigratorLockTimeoutError extends StrataError {
  readonly waitedMs: number;
  /** The backend pid of the session holding the lock, when it could be seen. */
  readonly holderPid: number | undefined;

  constructor(
    waitedMs: number,
    holder: { pid: number; applicationName: string; since: string } | undefined,
    options: { cause?: unknown } = {},
  ) {
    const who = holder
      ? ` (held by backend pid ${holder.pid}${holder.applicationName ? `, application "${holder.applicationName}"` : ''}, connected since ${holder.since})`
      : '';
    super(
      'MIGRATOR_LOCK_TIMEOUT',
      `Another migrator is running${who}; gave up waiting for the migration lock after ${waitedMs} ms. Run again when it has finished, or raise lockWaitTimeout.`,
      options,
    );
    this.waitedMs = waitedMs;
    this.holderPid = holder?.pid;
  }
}

/**
 * A migration failed. Its transaction was rolled back (or, for a migration that cannot run in a
 * transaction, the statements before `line` stay applied); nothing after it ran. `cause` is the
 * typed database error. `applied` lists what this run applied before the failure.
 */
export class MigrationFailedError extends StrataError {
  readonly migration: string;
  readonly line: number | undefined;
  readonly attempts: number;
  applied: readonly AppliedMigration[] = [];

  constructor(
    migration: string,
    detail: string,
    options: { line?: number | undefined; attempts: number; cause?: unknown },
  ) {
    const where = options.line === undefined ? migration : `${migration} (line ${options.line})`;
    super('MIGRATION_FAILED', `Migration ${where} failed: ${detail}`, { cause: options.cause });
    this.migration = migration;
    this.line = options.line;
    this.attempts = options.attempts;
  }
}

/** A rollback was refused before anything ran: a contract migration, or a migration without a down. */
export class RollbackRefusedError extends StrataError {
  readonly migration: string;
  readonly reason: 'contract' | 'no-down';

  constructor(migration: string, reason: 'contract' | 'no-down') {
    super(
      'ROLLBACK_REFUSED',
      reason === 'contract'
        ? `Cannot roll back contract migration ${migration}: contract migrations drop data or structure, so there is no down. Restore from backup.`
        : `Cannot roll back ${migration}: it has no down. Add a "-- migrate:down" section (or export down) that undoes it.`,
    );
    this.migration = migration;
    this.reason = reason;
  }
}

/** `batchUpdate` was given a transaction; it commits per batch, so it needs the Knex instance. */
export class BatchUpdateInTransactionError extends StrataError {
  constructor() {
    super(
      'BATCH_UPDATE_IN_TRANSACTION',
      'batchUpdate commits each batch in its own transaction and cannot run inside one. In a migration, add `export const config = { transaction: false }` so up() receives the Knex instance.',
    );
  }
}

/** A lint finding, as `MigrationLintError` reports it. */
export interface ReportedLintFinding {
  file: string;
  line: number;
  ruleId: string;
  severity: 'error' | 'warning' | 'note';
  message: string;
  safeAlternative?: string | undefined;
}

/**
 * The linter found errors in migrations `up` was about to apply; nothing was applied.
 * `findings` lists them with file:line and rule id. Fix the SQL, or waive a finding in the
 * file with `-- strata:allow <rule-id> <reason>`.
 */
export class MigrationLintError extends StrataError {
  readonly findings: readonly ReportedLintFinding[];

  constructor(findings: readonly ReportedLintFinding[]) {
    const lines = findings.map((f) => `  - ${f.file}:${f.line} [${f.ruleId}] ${f.message}`);
    super(
      'MIGRATION_LINT_FAILED',
      `The linter found ${findings.length} error(s) in pending migrations; nothing was applied:\n${lines.join('\n')}\nFix them, or waive one in the file with "-- strata:allow <rule-id> <reason>". Files written before the project used Strata: adopt them with \`strata migrate baseline\` (baselineMigrations).`,
    );
    this.findings = findings;
  }
}
