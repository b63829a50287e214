/**
 * Where a transaction was opened. The stack is captured when the transaction starts, but
 * V8 formats it only when it is read, which happens only when something is reported.
 * Capturing still costs a stack walk on every transaction, so it happens only when
 * `captureStartSite` is on (by default, when the network guard is); otherwise the
 * transaction carries `StartSite.unrecorded`.
 */
export class StartSite {
  /** The site of a transaction opened with `captureStartSite` off. */
  static readonly unrecorded = new StartSite(undefined);

  readonly #holder: { stack?: string } | undefined;

  // biome-ignore lint/complexity/noBannedTypes: Error.captureStackTrace takes any function.
  constructor(entry: Function | undefined) {
    if (entry === undefined) {
      this.#holder = undefined;
      return;
    }
    this.#holder = {};
    // Six frames place the call well enough, and capturing costs less the fewer there are.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 6;
    Error.captureStackTrace(this.#holder, entry);
    Error.stackTraceLimit = limit;
  }

  /** False for `StartSite.unrecorded`. */
  get recorded(): boolean {
    return this.#holder !== undefined;
  }

  /** The stack frames, one `at ...` per line, starting with the caller of the public entry point; empty when not recorded. */
  get stack(): string {
    const stack = this.#holder?.stack ?? '';
    // The first line is the (empty) error message.
    return stack
      .split('\n')
      .slice(1)
      .map((line) => line.trim())
      .join('\n');
  }

  /** The first frame, e.g. `at transfer (/app/src/transfer.ts:12:9)`; empty when not recorded. */
  get site(): string {
    if (!this.recorded) return '';
    return this.stack.split('\n', 1)[0] || 'at <unknown>';
  }
}

/** How a report names where the transaction was opened: the site, or how to have it recorded. */
export function openedAt(site: string): string {
  return site === ''
    ? 'where it was opened was not recorded (captureStartSite is off; it is on by default where the network guard is, in development and test)'
    : `it was opened ${site}`;
}
