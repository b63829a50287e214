import type { MigratorEvent, UpResult } from '@strata/migrate';
import { shownUrl } from '../database/require-database-url.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatDuration, plural } from '../output/format.js';
import type { Progress } from '../output/progress-bar.js';
import type { CommandContext, CommandOutcome } from './command.js';
import type { MigrateUpFlags } from './migrate-up-options.js';
import { withMigrator } from './with-migrator.js';

type LintWarning = Extract<MigratorEvent, { type: 'lint-warning' }>;

// What to do next when the evidence or the order check refused a migration.
const REFUSAL_ADVICE = [
  [
    'evidence',
    'Statements recorded since the deploy mark still use what they remove (`strata migrate evidence <migration>` shows them): deploy code that no longer does, or run again with --override-evidence "<reason>".',
  ],
  [
    'out-of-order',
    'Renumber them after the last applied migration (`strata migrate renumber --base <ref>`), or, if the order is intended, run again with --allow-out-of-order "<reason>".',
  ],
] as const;

/**
 * `strata migrate up`: lints and applies pending expand, backfill and validate migrations
 * (contracts too with `--post-deploy`, where the deploy gate is open), one transaction each,
 * under the migrator lock. Exit 3 when `--post-deploy` leaves a contract blocked by the
 * deploy gate or schema_design.md, when the evidence or order check refuses a migration
 * (`--override-evidence` / `--allow-out-of-order` with a reason run it), or when the linter
 * finds errors (nothing is applied then).
 */
export async function migrateUp(context: CommandContext, flags: MigrateUpFlags): Promise<CommandOutcome> {
  const output = context.output;
  const postDeploy = flags.postDeploy === true;
  const warnings: LintWarning[] = [];
  let evidenceUnavailable: string | undefined;
  const override = { evidence: flags.overrideEvidence, outOfOrder: flags.allowOutOfOrder };
  let progress: Progress | undefined;
  let index = 0;
  const onEvent = (event: MigratorEvent): void => {
    const c = output.colours;
    switch (event.type) {
      case 'lint-warning':
        warnings.push(event);
        if (!output.json) {
          progress?.stop();
          const label = event.severity === 'note' ? c.dim('note') : c.yellow('warning');
          output.note(`${label} ${event.file}:${event.line} [${event.ruleId}] ${event.message}`);
        }
        break;
      case 'evidence-unavailable':
        evidenceUnavailable = event.reason;
        if (!output.json) {
          progress?.stop();
          output.note(
            `${c.yellow('no evidence')}: ${event.reason}. Contracts pass on the deploy gate alone (set evidence: 'require' to refuse them instead).`,
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
      case 'lock-timeout-retry':
        if (!output.json) {
          progress?.stop();
          output.note(
            `${c.yellow('lock timeout')} in ${event.name}${event.line ? ` at line ${event.line}` : ''}; retry ${event.attempt} in ${formatDuration(event.delayMs)}`,
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
        return await migrator.up({ postDeploy, override });
      } finally {
        progress?.stop();
      }
    },
  );
  const gated = result.blocked.filter(
    (entry) => entry.blockedBy === 'deploy-gate' || entry.blockedBy === 'guard',
  );
  const blockedByGate = postDeploy && gated.length > 0;
  const refused = result.blocked.filter(
    (entry) => entry.blockedBy === 'evidence' || entry.blockedBy === 'out-of-order',
  );
  return {
    exitCode: blockedByGate || refused.length > 0 ? EXIT_CODES.blocked : EXIT_CODES.ok,
    document: {
      directory: config.migrationsDir,
      database: shownUrl(databaseUrl),
      postDeploy,
      applied: result.applied,
      blocked: result.blocked,
      warnings: warnings.map(({ type: _type, ...warning }) => warning),
      evidenceUnavailable: evidenceUnavailable ?? null,
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
      for (const [check, advice] of REFUSAL_ADVICE) {
        const names = refused.filter((entry) => entry.blockedBy === check).map((entry) => entry.name);
        if (names.length > 0) output.note(c.red(`Refused (${check}): ${names.join(', ')}. ${advice}`));
      }
      for (const entry of result.applied.filter((applied) => (applied.overrides ?? []).length > 0)) {
        output.line(
          c.yellow(
            `${entry.name} ran over the ${entry.overrides?.map((o) => o.check).join(' and ')} check; the reason is recorded in the history.`,
          ),
        );
      }
    },
  };
}
