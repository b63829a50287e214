import type { CliConfig } from '../config/cli-config.js';
import type { ExitCode } from '../exit-codes.js';
import type { CliIo, Output } from '../output/output.js';

/** What a command handler gets: the process around it, the output, and the configuration. */
export interface CommandContext {
  io: CliIo;
  output: Output;
  /**
   * Resolves the configuration (defaults, config file, environment, and the settings the
   * command's flags give) and registers its secrets.
   */
  config(): Promise<CliConfig>;
}

/**
 * What a command produced: its exit code, the `--json` document (`ok` is added: true exactly
 * when the exit code is 0) and how to show it to a person.
 */
export interface CommandOutcome {
  exitCode: ExitCode;
  document: Record<string, unknown>;
  render(output: Output): void;
}
