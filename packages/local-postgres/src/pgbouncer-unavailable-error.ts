import { StrataError } from '@strata/errors';
import type { ProviderAttempt } from './no-postgres-available-error.js';

/** No PgBouncer could be found or started; the message lists each attempt and how to fix it. */
export class PgBouncerUnavailableError extends StrataError {
  readonly attempts: readonly ProviderAttempt[];

  constructor(attempts: readonly ProviderAttempt[], options: { cause?: unknown } = {}) {
    const lines = attempts.map((a) => `  - ${a.provider}: tried ${a.tried}: ${a.outcome}`);
    super(
      'PGBOUNCER_UNAVAILABLE',
      [
        'Could not start or find PgBouncer:',
        ...lines,
        'Fix one of: install PgBouncer (Debian/Ubuntu: `apt-get install pgbouncer`; macOS: `brew install pgbouncer`);',
        'pass `binary` with the path of the pgbouncer program; or set STRATA_TEST_PGBOUNCER_URL to a running PgBouncer.',
      ].join('\n'),
      options,
    );
    this.attempts = attempts;
  }
}
