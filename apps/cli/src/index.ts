export { ConfigFileError, UsageError } from './cli-errors.js';
export { type CliConfig, type CliConfigInput, cliConfigSchema } from './config/cli-config.js';
export { EXIT_CODES, type ExitCode } from './exit-codes.js';
export type { CliIo, OutputStream } from './output/output.js';
export { runCli } from './run-cli.js';
