import { StrataError } from '@strata/errors';
import { openedAt, type StartSite } from './start-site.js';

/**
 * A transaction stayed open longer than `longTransactionWarningMs`. Long transactions hold
 * row locks (blocking other writers) and a pooled connection, and keep VACUUM from
 * cleaning up. It is delivered to `onLongTransaction`, by default as a process warning.
 */
export class LongTransactionWarning extends StrataError {
  readonly thresholdMs: number;
  /** Where the transaction was opened (the first line of `transactionStack`); empty when `captureStartSite` is off. */
  readonly transactionSite: string;
  /** The stack of the code that opened the transaction; empty when `captureStartSite` is off. */
  readonly transactionStack: string;

  constructor(thresholdMs: number, startSite: StartSite) {
    super(
      'LONG_TRANSACTION',
      `A transaction has been open for more than ${thresholdMs} ms; ${openedAt(startSite.site)}. ` +
        'Long transactions hold locks and a connection: keep slow work (network calls, computation) outside it.',
    );
    this.thresholdMs = thresholdMs;
    this.transactionSite = startSite.site;
    this.transactionStack = startSite.stack;
  }
}

interface Watched {
  readonly deadline: number;
  readonly thresholdMs: number;
  readonly startSite: StartSite;
  readonly report: ((warning: LongTransactionWarning) => unknown) | undefined;
}

// One timer for all open transactions, set for the earliest deadline. A timer per
// transaction (armed at BEGIN, cleared at COMMIT) measurably slowed short transactions.
const watched = new Set<Watched>();
let timer: NodeJS.Timeout | undefined;
let timerDeadline = Number.POSITIVE_INFINITY;

function schedule(deadline: number): void {
  if (timer && deadline >= timerDeadline) return;
  if (timer) clearTimeout(timer);
  timerDeadline = deadline;
  timer = setTimeout(sweep, Math.max(0, deadline - performance.now()));
  timer.unref(); // never keeps a process alive
}

function sweep(): void {
  timer = undefined;
  timerDeadline = Number.POSITIVE_INFINITY;
  const now = performance.now();
  let next = Number.POSITIVE_INFINITY;
  for (const entry of watched) {
    if (entry.deadline <= now) {
      watched.delete(entry);
      deliver(entry);
    } else if (entry.deadline < next) {
      next = entry.deadline;
    }
  }
  if (next !== Number.POSITIVE_INFINITY) schedule(next);
}

function deliver(entry: Watched): void {
  const warning = new LongTransactionWarning(entry.thresholdMs, entry.startSite);
  try {
    if (entry.report) entry.report(warning);
    else process.emitWarning(warning);
  } catch {
    // A failing reporter must not crash the process from a timer.
  }
}

/**
 * Watches one attempt for the long-transaction warning (reported at most once); returns
 * the function that stops watching it. A threshold of 0 turns the warning off.
 */
export function watchTransactionDuration(
  thresholdMs: number,
  startSite: StartSite,
  report: ((warning: LongTransactionWarning) => unknown) | undefined,
): () => void {
  if (thresholdMs <= 0) return noop;
  const entry: Watched = { deadline: performance.now() + thresholdMs, thresholdMs, startSite, report };
  watched.add(entry);
  schedule(entry.deadline);
  return () => {
    watched.delete(entry);
  };
}

const noop = () => {};
