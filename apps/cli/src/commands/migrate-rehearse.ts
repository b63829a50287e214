import { EXIT_CODES } from '../exit-codes.js';
import { formatDuration, plural, severityLabel } from '../output/format.js';
import type { Progress } from '../output/progress-bar.js';
import { lockModeSql } from '../rehearsal/lock-modes.js';
import { type RehearsalProgress, rehearse } from '../rehearsal/rehearse.js';
import type { CommandContext, CommandOutcome } from './command.js';
import type { MigrateRehearseFlags } from './migrate-rehearse-options.js';

/**
 * `strata migrate rehearse --rows N`: applies the pending migrations one by one in a
 * throwaway database holding the current schema and N synthetic rows per table, sampling
 * pg_locks, and reports per migration its duration, strongest lock and how long it was held,
 * rows rewritten and a verdict. Exit 3 when a verdict is `fail`.
 */
export async function migrateRehearse(
  context: CommandContext,
  flags: MigrateRehearseFlags,
): Promise<CommandOutcome> {
  const config = await context.config();
  const output = context.output;
  let bar: Progress | undefined;
  let stage: RehearsalProgress['stage'] | undefined;
  const onProgress = (event: RehearsalProgress): void => {
    if (event.stage !== stage) {
      bar?.stop();
      stage = event.stage;
      bar = output.progress(event.stage === 'fill' ? 'filling tables' : 'rehearsing', event.total);
    }
    bar?.setTotal(event.total);
    bar?.step(event.current, event.label);
  };
  let report: Awaited<ReturnType<typeof rehearse>>;
  try {
    report = await rehearse({
      config,
      target: config.migrationUrl ?? config.databaseUrl,
      clone: flags.clone,
      baseline: flags.baseline,
      rows: config.rehearsal.rows,
      maxBlockingMs: config.rehearsal.maxBlockingMs,
      sampleIntervalMs: config.rehearsal.sampleIntervalMs,
      keep: flags.keep === true,
      log: (line) => {
        if (!output.json) output.note(output.errorColours.dim(line));
      },
      onProgress,
    });
  } finally {
    bar?.stop();
  }
  return {
    exitCode: report.verdict === 'fail' ? EXIT_CODES.blocked : EXIT_CODES.ok,
    document: { directory: config.migrationsDir, ...report },
    render(output) {
      const c = output.colours;
      const filled = report.tables.filter((table) => table.rows > 0).length;
      output.line(
        `${c.bold('Rehearsal')} in ${report.database.name} ${c.dim(`(${report.database.clone}, ${report.database.server})`)}: ${plural(filled, 'table')} filled with ${report.rows} rows each.`,
      );
      for (const table of report.tables.filter((entry) => entry.note !== null)) {
        output.line(c.yellow(`  ${table.table}: ${table.note}`));
      }
      output.line();
      output.table(
        [
          { heading: 'SEQ', align: 'right' },
          { heading: 'MIGRATION' },
          { heading: 'TOOK', align: 'right' },
          { heading: 'STRONGEST LOCK' },
          { heading: 'HELD', align: 'right' },
          { heading: 'ROWS REWRITTEN', align: 'right' },
          { heading: 'VERDICT' },
        ],
        report.migrations.map((migration) => [
          String(migration.seq),
          migration.name,
          formatDuration(migration.durationMs),
          migration.strongestLock
            ? `${lockModeSql(migration.strongestLock.mode)} on ${migration.strongestLock.relation}`
            : c.dim('none seen'),
          migration.strongestLock ? formatDuration(migration.strongestLock.heldMs) : '-',
          String(migration.rowsRewritten),
          severityLabel(c, migration.verdict),
        ]),
        'No pending migration to rehearse.',
      );
      for (const migration of report.migrations) {
        for (const reason of migration.reasons) output.line(`  ${migration.name}: ${reason}`);
      }
      for (const skipped of report.notRehearsed) {
        output.line(c.dim(`  not rehearsed: ${skipped.name}: ${skipped.reason}`));
      }
      output.line();
      output.line(
        `Verdict: ${severityLabel(c, report.verdict)} ${c.dim(`(write-blocking locks may be held up to ${report.thresholds.maxBlockingMs} ms; pg_locks sampled every ${report.thresholds.sampleIntervalMs} ms)`)}`,
      );
      if (report.database.kept)
        output.line(`Kept the rehearsal database ${report.database.name}; drop it when done.`);
    },
  };
}
