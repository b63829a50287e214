/**
 * Where a transaction was opened. The stack is captured when the transaction starts, but
 * V8 formats it only when it is read, which happens only when something is reported.
 */
export class StartSite {
  readonly #holder: { stack?: string } = {};

  // biome-ignore lint/complexity/noBannedTypes: Error.captureStackTrace takes any function.
  constructor(entry: Function) {
    // Six frames place the call well enough, and capturing costs less the fewer there are.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 6;
    Error.captureStackTrace(this.#holder, entry);
    Error.stackTraceLimit = limit;
  }

  /** The stack frames, one `at ...` per line, starting with the caller of the public entry point. */
  get stack(): string {
    const stack = this.#holder.stack ?? '';
    // The first line is the (empty) error message.
    return stack
      .split('\n')
      .slice(1)
      .map((line) => line.trim())
      .join('\n');
  }

  /** The first frame, e.g. `at transfer (/app/src/transfer.ts:12:9)`. */
  get site(): string {
    return this.stack.split('\n', 1)[0] || 'at <unknown>';
  }
}
