import { shownUrl } from '../database/require-database-url.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatTime, plural } from '../output/format.js';
import type { CommandContext, CommandOutcome } from './command.js';
import { withMigrator } from './with-migrator.js';

/**
 * `strata migrate evidence <migration>`: what the evidence check of `up --post-deploy` finds
 * for a migration — the statements recorded by pg_stat_statements since the deploy mark that
 * still use what it removes (normalised text, calls, when last seen), and scans of indexes it
 * drops. Applies nothing. Exit 3 when they are in use (or, with `evidence: 'require'`, when
 * there is no evidence), 0 otherwise.
 */
export async function migrateEvidence(context: CommandContext, migration: string): Promise<CommandOutcome> {
  const {
    config,
    databaseUrl,
    result: report,
  } = await withMigrator(context, {}, (migrator) => migrator.evidence(migration));
  const refuses =
    report.verdict === 'in-use' || (report.verdict === 'unavailable' && config.evidence === 'require');
  return {
    exitCode: refuses ? EXIT_CODES.blocked : EXIT_CODES.ok,
    document: { directory: config.migrationsDir, database: shownUrl(databaseUrl), ...report },
    render(output) {
      const c = output.colours;
      output.line(`${c.bold(report.fileName)} (${report.phase})`);
      for (const removal of report.removes) output.line(`  removes ${removal}`);
      if (report.deploy) {
        output.line(
          c.dim(
            `  observed since deploy ${report.deploy.release} was marked: ${formatTime(report.observedFrom)} → ${formatTime(report.observedTo)}`,
          ),
        );
      }
      for (const statement of report.statements) {
        output.line(`  ${c.red('in use')} ${statement.query}`);
        output.line(
          c.dim(
            `    ${plural(statement.callsSinceMark, 'call')} since the mark, last seen between ${formatTime(statement.lastSeen.after)} and ${formatTime(statement.lastSeen.notAfter)}; ${statement.uses.map((use) => use.usage).join('; ')}`,
          ),
        );
      }
      for (const scans of report.indexScans) {
        const label = scans.scansSinceMark > 0 ? c.red('in use') : c.green('unused');
        output.line(
          `  ${label} index ${scans.index}: ${plural(scans.scansSinceMark, 'scan')} since the mark${scans.lastScan ? `, last at ${formatTime(scans.lastScan)}` : ''}`,
        );
      }
      for (const note of report.notes) output.line(c.dim(`  note: ${note}`));
      output.line();
      if (report.verdict === 'in-use') {
        output.line(
          c.red(
            'In use: `migrate up --post-deploy` refuses it. Deploy code that no longer uses these (and let old instances stop), or run up with --override-evidence "<reason>".',
          ),
        );
      } else if (report.verdict === 'unavailable') {
        output.line(
          (refuses ? c.red : c.yellow)(
            `No evidence: ${report.reason}. ${refuses ? "With evidence: 'require', up refuses it." : 'up lets the deploy gate decide alone.'}`,
          ),
        );
      } else {
        output.line(c.green('Clear: no statement recorded since the deploy mark uses what it removes.'));
      }
    },
  };
}
