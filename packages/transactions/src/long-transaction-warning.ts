import { StrataError } from '@strata/errors';
import type { StartSite } from './start-site.js';

/**
 * A transaction stayed open longer than `longTransactionWarningMs`. Long transactions hold
 * row locks (blocking other writers) and a pooled connection, and keep VACUUM from
 * cleaning up. It is delivered to `onLongTransaction`, by default as a process warning.
 */
export class LongTransactionWarning extends StrataError {
  readonly thresholdMs: number;
  /** Where the transaction was opened (the first line of `transactionStack`). */
  readonly transactionSite: string;
  readonly transactionStack: string;

  constructor(thresholdMs: number, startSite: StartSite) {
    super(
      'LONG_TRANSACTION',
      `A transaction has been open for more than ${thresholdMs} ms; it was opened ${startSite.site}. ` +
        'Long transactions hold locks and a connection: keep slow work (network calls, computation) outside it.',
    );
    this.thresholdMs = thresholdMs;
    this.transactionSite = startSite.site;
    this.transactionStack = startSite.stack;
  }
}

/**
 * Arms the long-transaction warning for one attempt; returns the function that disarms it.
 * The timer is unref'd so it never keeps a process alive.
 */
export function watchTransactionDuration(
  thresholdMs: number,
  startSite: StartSite,
  report: ((warning: LongTransactionWarning) => unknown) | undefined,
): () => void {
  if (thresholdMs <= 0) return noop;
  const timer = setTimeout(() => {
    const warning = new LongTransactionWarning(thresholdMs, startSite);
    try {
      if (report) report(warning);
      else process.emitWarning(warning);
    } catch {
      // A failing reporter must not crash the process from a timer.
    }
  }, thresholdMs);
  timer.unref();
  return () => clearTimeout(timer);
}

const noop = () => {};
