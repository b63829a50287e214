/** Options every Strata error accepts. */
export interface StrataErrorOptions {
  cause?: unknown;
}

/**
 * The base of every error Strata throws. `code` is stable across releases, so callers
 * can `switch` on it (or use `instanceof`); `message` says what happened and what to do.
 */
export class StrataError extends Error {
  /** A stable, machine-readable identifier, e.g. `UNIQUE_VIOLATION`. */
  readonly code: string;

  constructor(code: string, message: string, options: StrataErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}
