import { CommanderError } from 'commander';
import type { CommandContext, CommandOutcome } from './commands/command.js';
import type { CliConfig } from './config/cli-config.js';
import { passwordOf } from './database/database-url.js';
import { reportError } from './error-report.js';
import { EXIT_CODES, type ExitCode } from './exit-codes.js';
import { type CliIo, Output } from './output/output.js';
import { buildProgram } from './program.js';

/**
 * Runs `strata` with `args` (without `node` and the script) and returns the exit code; the
 * caller sets `process.exitCode`. Human output goes to `io.stdout`, diagnostics to
 * `io.stderr`; with `--json`, stdout holds exactly one JSON document, `{ "ok": ... }`, on
 * success and failure alike (usage errors from argument parsing excepted: they go to stderr).
 */
export async function runCli(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const output = new Output(io);
  // Passwords in the environment are never printed, even before a command resolves its config.
  output.addSecret(passwordOf(io.env.DATABASE_URL ?? ''));
  let databaseUrl: string | undefined;
  let outcome: CommandOutcome | undefined;
  const program = buildProgram(output, async (json, flags, work) => {
    output.json = json;
    const context: CommandContext = {
      io,
      output,
      async config() {
        if (typeof flags.values.databaseUrl === 'string')
          output.addSecret(passwordOf(flags.values.databaseUrl));
        // Loaded on first use: --help and usage errors need no zod.
        const { resolveConfig } = await import('./config/resolve-config.js');
        const resolved: CliConfig = (await resolveConfig({ cwd: io.cwd, env: io.env, flags })).config;
        if (resolved.databaseUrl !== undefined) {
          output.addSecret(passwordOf(resolved.databaseUrl));
          databaseUrl = resolved.databaseUrl;
        }
        return resolved;
      },
    };
    outcome = await work(context);
  });
  try {
    await program.parseAsync([...args], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end parsing with exit code 0; everything else is a usage error.
      return error.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
    }
    const report = reportError(error, databaseUrl);
    if (output.json) {
      output.document({
        ok: false,
        error: { code: report.code, message: report.message, ...report.details },
      });
    } else {
      output.note(output.errorColours.red(`error: ${report.message}`));
      if (io.env.STRATA_DEBUG && error instanceof Error && error.stack) output.note(error.stack);
    }
    return report.exitCode;
  }
  if (outcome === undefined) return EXIT_CODES.ok;
  if (output.json) output.document({ ok: outcome.exitCode === EXIT_CODES.ok, ...outcome.document });
  else outcome.render(output);
  return outcome.exitCode;
}
