import { StrataError } from './strata-error.js';

/** A feature that needs one server session for longer than a transaction. */
export type SessionFeature = 'session advisory lock' | 'LISTEN' | 'session SET' | 'session RESET';

const ADVICE: Record<SessionFeature, string> = {
  'session advisory lock':
    "Use a transaction-scoped lock (withAdvisoryLock with scope 'transaction', pg_advisory_xact_lock), or take it on a direct connection to PostgreSQL (the migrator's migrationUrl / STRATA_MIGRATION_DATABASE_URL).",
  LISTEN: 'Listen on a direct connection to PostgreSQL, or through a PgBouncer in session mode.',
  'session SET':
    'Use SET LOCAL (or set_config(name, value, true)) inside a transaction, or set it per role: ALTER ROLE … SET name = value.',
  'session RESET': 'Use SET LOCAL inside a transaction instead of changing the session.',
};

/**
 * A session-level feature was used through PgBouncer in transaction pooling mode. There each
 * transaction may run on a different server connection, so session state is lost — or,
 * worse, left behind for another client. The pool refuses it instead.
 */
export class SessionFeatureUnsupportedError extends StrataError {
  readonly feature: SessionFeature;

  constructor(feature: SessionFeature, options: { cause?: unknown } = {}) {
    super(
      'SESSION_FEATURE_UNSUPPORTED',
      `${feature} needs a server session of its own, but the pool is behind PgBouncer in transaction pooling mode, ` +
        `where each transaction may run on a different server connection. ${ADVICE[feature]}`,
      options,
    );
    this.feature = feature;
  }
}
