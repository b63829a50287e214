import { StrataError } from '@strata/errors';

/** The command line asks for something that cannot work (a missing database URL, a missing --yes, ...). Exit code 2. */
export class UsageError extends StrataError {
  constructor(message: string) {
    super('CLI_USAGE', message);
  }
}

/** A configuration file could not be found, read or loaded. Exit code 2. */
export class ConfigFileError extends StrataError {
  readonly file: string;

  constructor(file: string, problem: string, options: { cause?: unknown } = {}) {
    super('CLI_CONFIG_FILE', `Config file ${file}: ${problem}`, options);
    this.file = file;
  }
}
