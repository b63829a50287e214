import { compareBranchMigrations } from '@strata/migrate';
import { migrationFolders } from '../git/git-migrations.js';
import { plural } from '../output/format.js';
import { checkOutcome } from './check-outcome.js';
import type { CommandContext, CommandOutcome } from './command.js';
import type { MigrateCheckFlags } from './migrate-check-options.js';

/**
 * `strata migrate check --base <ref>`: compares the migrations folder with the one at the
 * git ref the branch merges into — a seq taken twice, new files that sort before files
 * already on the base, a merge that puts a contract before its expand, a base file the branch
 * removed. Needs no database. Exit 3 on any finding, 2 when the ref or repository is unknown.
 */
export async function migrateCheck(
  context: CommandContext,
  flags: MigrateCheckFlags,
): Promise<CommandOutcome> {
  const config = await context.config();
  const folders = await migrationFolders(config.migrationsDir, flags.base);
  const comparison = compareBranchMigrations(folders);
  const { findings } = comparison;
  const renumberable = findings.some(
    (finding) => finding.kind === 'duplicate-seq' || finding.kind === 'before-base',
  );
  return checkOutcome({
    blocking: findings.length > 0,
    document: {
      directory: config.migrationsDir,
      base: { ref: folders.ref, commit: folders.commit },
      added: comparison.added,
      baseLastSeq: comparison.baseLastSeq,
      findings,
    },
    findings,
    show: (finding, c) => [`${c.red(finding.kind)} ${c.bold(finding.fileName)}: ${finding.message}`],
    summary: `${plural(comparison.added.length, 'new migration')} against ${folders.ref} (last seq there: ${comparison.baseLastSeq ?? 'none'}); ${plural(findings.length, 'finding')}.`,
    advice: renumberable
      ? `Run \`strata migrate renumber --base ${folders.ref}\` to move the branch's new migrations after the base's, then check again.`
      : 'Fix the files named above, then check again.',
  });
}
