import { StrataError } from '@strata/errors';

/**
 * A `schema_design.md` cannot be read or holds no usable migration plan. The message names
 * the file (and line) and what the plan should look like.
 */
export class SchemaDesignError extends StrataError {
  readonly path: string;
  /** 1-based line in the design, when the problem has one. */
  readonly line: number | undefined;

  constructor(path: string, problem: string, options: { line?: number | undefined; cause?: unknown } = {}) {
    const where = options.line === undefined ? path : `${path}:${options.line}`;
    super('SCHEMA_DESIGN_INVALID', `Schema design ${where}: ${problem}`, {
      cause: options.cause,
    });
    this.path = path;
    this.line = options.line;
  }
}
