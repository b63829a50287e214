import { type SessionFeature, SessionFeatureUnsupportedError } from '@strata/errors';
import type pg from 'pg';
import type { QueryResult } from './pool.js';
import { sendStatement } from './send-statement.js';
import type { TransactionSettings } from './session-settings.js';

// A session SET or RESET (SET LOCAL, SET TRANSACTION and SET CONSTRAINTS end with the transaction).
const SESSION_SET = /^\s*(?:(set)\s+(?!local\b|transaction\b|constraints\b)|(reset)\b|(listen)\b)/i;
const SESSION_ADVISORY_LOCK = /\bpg_(?:try_)?advisory_(?:un)?lock(?:_shared|_all)?\s*\(/i;

/** The session-level feature a statement uses, if it is one transaction pooling breaks. */
function sessionFeatureOf(text: string): SessionFeature | undefined {
  const statement = SESSION_SET.exec(text);
  if (statement !== null) return statement[1] ? 'session SET' : statement[2] ? 'session RESET' : 'LISTEN';
  // The substring test first: it is cheaper than the pattern, and almost never matches.
  if (text.includes('advisory_') && SESSION_ADVISORY_LOCK.test(text)) return 'session advisory lock';
  return undefined;
}

/**
 * What the pool does differently behind PgBouncer in transaction mode, on every statement it
 * sends (raw and Knex): statements that need a session of their own (session SET and RESET,
 * LISTEN, session advisory locks) are refused with `SessionFeatureUnsupportedError` before
 * they reach a server connection other clients will get next; session settings, when
 * configured, are applied per transaction (`TransactionSettings`).
 */
export class TransactionPooling {
  readonly #settings: TransactionSettings | undefined;

  constructor(settings: TransactionSettings | undefined) {
    this.#settings = settings;
  }

  /** Sends one statement of the raw path. */
  send<Row>(
    client: pg.Client,
    text: string,
    values: readonly unknown[] | undefined,
    name: string | undefined,
  ): Promise<QueryResult<Row>> {
    const feature = sessionFeatureOf(text);
    if (feature !== undefined) return Promise.reject(new SessionFeatureUnsupportedError(feature));
    if (this.#settings !== undefined) return this.#settings.send<Row>(client, text, values, name);
    return sendStatement<Row>(client, text, values, name);
  }

  /** Runs one Knex statement (`run`, whose SQL is `sql`). */
  around<R>(client: pg.Client, sql: string, run: () => Promise<R>): Promise<R> {
    const feature = sessionFeatureOf(sql);
    if (feature !== undefined) return Promise.reject(new SessionFeatureUnsupportedError(feature));
    return this.#settings === undefined ? run() : this.#settings.around(client, sql, run);
  }
}
