import { describeBlocker, type MigratorEvent, type UpResult } from '@strata/migrate';
import { shownUrl } from '../database/require-database-url.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatDuration, plural } from '../output/format.js';
import type { Progress } from '../output/progress-bar.js';
import type { CommandContext, CommandOutcome } from './command.js';
import type { MigrateUpFlags } from './migrate-up-options.js';
import { withMigrator } from './with-migrator.js';

type LintWarning = Extract<MigratorEvent, { type: 'lint-warning' }>;

/**
 * `strata migrate up`: lints and applies pending expand, backfill and validate migrations
 * (contracts too with `--post-deploy`, where the deploy gate is open), one transaction each,
 * under the migrator lock. Exit 3 when `--post-deploy` leaves a contract blocked by the
 * deploy gate or schema_design.md, or when the linter finds errors (nothing is applied then).
 */
export async function migrateUp(context: CommandContext, flags: MigrateUpFlags): Promise<CommandOutcome> {
  const output = context.output;
  const postDeploy = flags.postDeploy === true;
  const warnings: LintWarning[] = [];
  let progress: Progress | undefined;
  let index = 0;
  const onEvent = (event: MigratorEvent): void => {
    const c = output.colours;
    switch (event.type) {
      case 'lint-warning':
        warnings.push(event);
        if (!output.json) {
          progress?.stop();
          output.note(
            `${c.yellow('warning')} ${event.file}:${event.line} [${event.ruleId}] ${event.message}`,
          );
        }
        break;
      case 'lock-wait':
        if (!output.json) {
          output.note(
            `Another migrator holds the migration lock${event.holderPid ? ` (backend pid ${event.holderPid})` : ''}; waiting...`,
          );
        }
        break;
      case 'migration-start':
        index += 1;
        progress?.step(index, event.name);
        break;
      case 'migration-done':
        if (!output.json) {
          progress?.stop();
          output.line(`${c.green('applied')} ${event.name} ${c.dim(formatDuration(event.durationMs))}`);
        }
        break;
      case 'lock-blocked':
        // Written to stderr as it happens, with --json too: it says why the run is waiting.
        progress?.stop();
        output.note(
          `${c.yellow('waiting')} ${event.name} needs locks that other sessions hold; waiting outside the lock queue (${formatDuration(event.waitedMs)} so far), blocked by ${event.blockers.map(describeBlocker).join('; ')}`,
        );
        break;
      case 'lock-timeout-retry':
        if (!output.json) {
          progress?.stop();
          output.note(
            `${c.yellow('lock timeout')} in ${event.name}${event.line ? ` at line ${event.line}` : ''}; retry ${event.attempt} in ${formatDuration(event.delayMs)} with lock_timeout ${formatDuration(event.lockTimeoutMs)}`,
          );
        }
        break;
      case 'invalid-index-dropped':
        if (!output.json)
          output.note(
            `Dropped INVALID index ${event.index} left by an earlier failed run of ${event.name}; rebuilding it.`,
          );
        break;
      default:
        break;
    }
  };
  const { config, databaseUrl, result } = await withMigrator(
    context,
    { designGates: true, onEvent },
    async (migrator): Promise<UpResult> => {
      if (output.interactive) {
        const planned = await migrator.plan({ postDeploy });
        if (planned.migrations.length > 0)
          progress = output.progress('migrate up', planned.migrations.length);
      }
      try {
        return await migrator.up({ postDeploy });
      } finally {
        progress?.stop();
      }
    },
  );
  const gated = result.blocked.filter(
    (entry) => entry.blockedBy === 'deploy-gate' || entry.blockedBy === 'guard',
  );
  const blockedByGate = postDeploy && gated.length > 0;
  return {
    exitCode: blockedByGate ? EXIT_CODES.blocked : EXIT_CODES.ok,
    document: {
      directory: config.migrationsDir,
      database: shownUrl(databaseUrl),
      postDeploy,
      applied: result.applied,
      blocked: result.blocked,
      warnings: warnings.map(({ type: _type, ...warning }) => warning),
    },
    render(output) {
      const c = output.colours;
      output.line(
        result.applied.length === 0
          ? 'Nothing to apply.'
          : c.bold(`Applied ${plural(result.applied.length, 'migration')}.`),
      );
      for (const blocked of result.blocked) {
        output.line(`${c.red('blocked')} ${blocked.name} (${blocked.blockedBy}): ${blocked.reason}`);
      }
      if (blockedByGate) {
        output.note(
          c.red(
            `Blocked by the deploy gate: ${gated.map((entry) => entry.name).join(', ')}. Deploy the code, record it with \`strata deploy mark <release>\`, then run \`strata migrate up --post-deploy\` again.`,
          ),
        );
      }
    },
  };
}
