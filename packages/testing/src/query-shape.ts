import { fingerprintSync, loadModule, parseSync } from 'libpg-query';

let ready: Promise<void> | undefined;

/** Loads the PostgreSQL parser (WebAssembly) once. */
export function loadQueryParser(): Promise<void> {
  ready ??= loadModule();
  return ready;
}

/**
 * The statement's shape: PostgreSQL's own query fingerprint (libpg_query), equal for
 * statements that differ only in constants, parameters or `IN` list lengths.
 */
export function queryShape(text: string): string {
  try {
    return fingerprintSync(text);
  } catch {
    return text;
  }
}

const CONTROL = new Set(['TransactionStmt', 'VariableSetStmt', 'VariableShowStmt']);

/** The parse-tree node types of the statements in `text` (e.g. `SelectStmt`); empty if it does not parse. */
export function statementKinds(text: string): string[] {
  try {
    return (parseSync(text).stmts ?? []).flatMap((statement) => Object.keys(statement.stmt ?? {}));
  } catch {
    return [];
  }
}

/** True for BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE and SET/SHOW: plumbing, not the app's work. */
export function isSessionControl(text: string): boolean {
  const kinds = statementKinds(text);
  return kinds.length > 0 && kinds.every((kind) => CONTROL.has(kind));
}
