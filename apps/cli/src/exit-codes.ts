/**
 * The exit codes of `strata`, stable for CI: 0 ok, 1 failed (the work or a connection
 * failed), 2 usage (unknown command or flag, a bad value, invalid configuration), 3 blocked
 * (a safety rule refused the work: the deploy gate, lint errors, schema_design.md findings,
 * a failing rehearsal verdict, a refused rollback).
 */
export const EXIT_CODES = { ok: 0, failed: 1, usage: 2, blocked: 3 } as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];
