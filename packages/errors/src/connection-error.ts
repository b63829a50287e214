import { StrataError } from './strata-error.js';

/**
 * The connection to PostgreSQL failed or was lost: refused, reset, terminated by the
 * server (SQLSTATE class 08, 57P01–57P03) or timed out while connecting. The statement
 * may or may not have run; retry only idempotent work.
 */
export class ConnectionError extends StrataError {
  /** The SQLSTATE when the server sent one, or the socket error code (e.g. `ECONNREFUSED`). */
  readonly reason: string | undefined;

  constructor(message: string, options: { cause?: unknown; reason?: string | undefined } = {}) {
    super('CONNECTION_ERROR', message, options);
    this.reason = options.reason;
  }
}
