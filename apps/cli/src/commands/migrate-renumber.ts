import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { renameMigrationReferences, renumberBranchMigrations } from '@strata/migrate';
import { UsageError } from '../cli-errors.js';
import { EXIT_CODES } from '../exit-codes.js';
import { migrationFolders, trackedDesignFiles } from '../git/git-migrations.js';
import { plural } from '../output/format.js';
import type { CommandContext, CommandOutcome } from './command.js';
import type { MigrateRenumberFlags } from './migrate-check-options.js';

/**
 * `strata migrate renumber --base <ref> [--dry-run]`: renames the branch's new migrations
 * (those the base does not have) so they follow the base's last seq, in their order, and
 * changes their names in the repository's schema_design.md files (and `--design`). Needs no
 * database; a database that applied the old names reports them missing afterwards.
 */
export async function migrateRenumber(
  context: CommandContext,
  flags: MigrateRenumberFlags,
): Promise<CommandOutcome> {
  const config = await context.config();
  const directory = config.migrationsDir;
  const folders = await migrationFolders(directory, flags.base);
  const renames = renumberBranchMigrations(folders);
  const moving = new Set(renames.map((entry) => entry.from));
  const taken = renames.find((entry) => existsSync(path.join(directory, entry.to)) && !moving.has(entry.to));
  if (taken) throw new UsageError(`Cannot rename ${taken.from}: ${taken.to} already exists in ${directory}.`);

  const candidates = [
    ...new Set([
      ...(await trackedDesignFiles(folders.repository)),
      ...(config.designFile ? [config.designFile] : []),
    ]),
  ];
  const designs: string[] = [];
  for (const file of candidates.filter((candidate) => existsSync(candidate))) {
    const text = await readFile(file, 'utf8');
    const renamed = renameMigrationReferences(text, renames);
    if (renamed === text) continue;
    designs.push(file);
    if (!flags.dryRun) await writeFile(file, renamed);
  }
  if (!flags.dryRun) {
    // Through temporary names, so a file may take the name another one leaves.
    for (const entry of renames)
      await rename(path.join(directory, entry.from), path.join(directory, `.${entry.from}.renumbering`));
    for (const entry of renames)
      await rename(path.join(directory, `.${entry.from}.renumbering`), path.join(directory, entry.to));
  }
  return {
    exitCode: EXIT_CODES.ok,
    document: {
      directory,
      base: { ref: folders.ref, commit: folders.commit },
      dryRun: flags.dryRun === true,
      renames,
      designFiles: designs,
    },
    render(output) {
      const c = output.colours;
      const verb = flags.dryRun ? 'would rename' : 'renamed';
      for (const entry of renames) output.line(`${c.green(verb)} ${entry.from} → ${c.bold(entry.to)}`);
      for (const file of designs)
        output.line(`${c.green(flags.dryRun ? 'would update' : 'updated')} ${file}`);
      if (renames.length === 0) {
        output.line(`Nothing to renumber: the branch's new migrations already follow ${folders.ref}.`);
        return;
      }
      output.line();
      output.line(
        flags.dryRun
          ? `Run without --dry-run to rename ${plural(renames.length, 'file')}.`
          : `Check with \`strata migrate check --base ${folders.ref}\`, then commit.`,
      );
      output.note(
        'A database that applied the old names (a local one) reports them missing: roll them back there before renumbering (`strata migrate down --to <seq>`), or recreate it.',
      );
    },
  };
}
