import { StrataError } from '@strata/errors';

/** An embedded server failed to initialise or start; the message names its log file. */
export class EmbeddedPostgresError extends StrataError {
  readonly logFile: string;

  constructor(message: string, logFile: string, options: { cause?: unknown } = {}) {
    super('EMBEDDED_POSTGRES_FAILED', `${message} See the server log: ${logFile}`, options);
    this.logFile = logFile;
  }
}
