import { ConnectionError, InvalidConfigError, redactConnectionString, StrataError } from '@strata/errors';
import { CommanderError } from 'commander';
import { ConfigFileError, UsageError } from './cli-errors.js';
import { EXIT_CODES, type ExitCode } from './exit-codes.js';

/** An error as the CLI reports it: exit code, a stable code, the message, and details for `--json`. */
export interface ErrorReport {
  exitCode: ExitCode;
  code: string;
  message: string;
  details: Record<string, unknown>;
}

// @strata/migrate's error codes, matched by their stable `code` so that commands which never
// load the migrator (doctor, db, --help) do not import it just to classify errors.
const BLOCKED_CODES = new Set(['MIGRATION_LINT_FAILED', 'ROLLBACK_REFUSED']);
const USAGE_CODES = new Set(['SCHEMA_DESIGN_INVALID']);
const DETAILS: Record<string, readonly string[]> = {
  MIGRATION_LINT_FAILED: ['findings'],
  ROLLBACK_REFUSED: ['migration', 'reason'],
  MIGRATION_FAILED: ['migration', 'line', 'attempts', 'applied'],
  MIGRATION_CHECKSUM_MISMATCH: ['changed', 'missing'],
  MIGRATION_FILE_INVALID: ['fileName', 'line'],
  MIGRATION_NAME_INVALID: ['fileName', 'rule'],
  DUPLICATE_MIGRATION_SEQ: ['pairs'],
  INVALID_CONFIG: ['issues'],
};

/**
 * Classifies an error: usage (2) for the command line and configuration, blocked (3) when a
 * safety rule refused the work (lint errors, a refused rollback), failed (1) for the rest.
 * `databaseUrl`, when known, is named (without its password) on connection errors.
 */
export function reportError(error: unknown, databaseUrl?: string): ErrorReport {
  if (error instanceof CommanderError) {
    return { exitCode: EXIT_CODES.usage, code: error.code, message: error.message, details: {} };
  }
  const code = error instanceof StrataError ? error.code : 'UNEXPECTED';
  let message = error instanceof Error ? error.message : String(error);
  const details: Record<string, unknown> = {};
  for (const key of DETAILS[code] ?? []) {
    const value = (error as Record<string, unknown>)[key];
    details[key] = value === undefined ? null : value;
  }
  let exitCode: ExitCode = EXIT_CODES.failed;
  if (
    error instanceof InvalidConfigError ||
    error instanceof UsageError ||
    error instanceof ConfigFileError ||
    USAGE_CODES.has(code)
  ) {
    exitCode = EXIT_CODES.usage;
  } else if (BLOCKED_CODES.has(code)) {
    exitCode = EXIT_CODES.blocked;
  } else if (error instanceof ConnectionError && databaseUrl !== undefined) {
    message = `${message} (database: ${redactConnectionString(databaseUrl)})`;
  }
  return { exitCode, code, message, details };
}
