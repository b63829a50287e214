import { existsSync } from 'node:fs';
import path from 'node:path';
import { checkDesign, readSchemaDesign } from '@strata/migrate';
import { UsageError } from '../cli-errors.js';
import { plural } from '../output/format.js';
import { checkOutcome } from './check-outcome.js';
import type { CommandContext, CommandOutcome } from './command.js';
import { readMigrationTexts } from './read-migration-texts.js';

/**
 * `strata migrate check-design [--design <schema_design.md>]`: compares the design's
 * migration plan with the migrations folder — missing, extra, out-of-order, wrong-phase,
 * renumbered migrations and contracts not behind a `[CODE DEPLOY]` gate. Without
 * `--design` (or designFile / STRATA_DESIGN_FILE) it uses `schema_design.md` in the working
 * directory, else in the migrations folder. Needs no database. Exit 3 on any finding.
 */
export async function migrateCheckDesign(context: CommandContext): Promise<CommandOutcome> {
  const config = await context.config();
  const designFile =
    config.designFile ??
    [path.join(context.io.cwd, 'schema_design.md'), path.join(config.migrationsDir, 'schema_design.md')].find(
      (candidate) => existsSync(candidate),
    );
  if (designFile === undefined) {
    throw new UsageError(
      'No schema_design.md found in the working directory or the migrations folder; pass --design <path> (or set designFile / STRATA_DESIGN_FILE).',
    );
  }
  const design = await readSchemaDesign(designFile);
  const files = await readMigrationTexts(config.migrationsDir);
  const findings = checkDesign(
    design,
    files.map((file) => file.fileName),
  );
  const planned = design.entries.filter((entry) => entry.kind === 'migration').length;
  const gates = design.entries.length - planned;
  return checkOutcome({
    blocking: findings.length > 0,
    document: {
      design: designFile,
      directory: config.migrationsDir,
      planned,
      gates,
      findings,
    },
    findings,
    show(finding, c) {
      const where = finding.designLine === undefined ? '' : c.dim(` (design line ${finding.designLine})`);
      return [`${c.red(finding.kind)} ${c.bold(finding.fileName)}${where}: ${finding.message}`];
    },
    summary: `${designFile}: ${plural(planned, 'planned migration')}, ${plural(gates, 'deploy gate')}; ${plural(findings.length, 'finding')}.`,
  });
}
