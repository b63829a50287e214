import { connect } from '../database/connect.js';
import { createKnex } from '../database/create-knex.js';
import { requireDatabaseUrl, shownUrl } from '../database/require-database-url.js';
import { readSeedFiles, runModuleSeed, runSqlSeed } from '../database/seed-files.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatDuration, plural } from '../output/format.js';
import type { CommandContext, CommandOutcome } from './command.js';

/**
 * `strata db seed [--dir seeds]`: runs every seed file in name order: `.sql` files each in
 * one transaction, `.js`/`.mjs`/`.ts` modules through their `seed(knex)`. Seeds run on every
 * call (nothing records them), so write them to be re-runnable (`ON CONFLICT DO NOTHING`).
 * Stops at the first failure, naming the file.
 */
export async function dbSeed(context: CommandContext): Promise<CommandOutcome> {
  const config = await context.config();
  const databaseUrl = requireDatabaseUrl(config);
  const files = await readSeedFiles(config.seedsDir);
  const output = context.output;
  const ran: { file: string; kind: 'sql' | 'module'; durationMs: number }[] = [];
  const client = files.some((file) => file.kind === 'sql')
    ? await connect(databaseUrl, 'strata-seed')
    : undefined;
  const knex = files.some((file) => file.kind === 'module') ? createKnex(databaseUrl) : undefined;
  const progress = output.progress('db seed', files.length);
  try {
    for (const [index, file] of files.entries()) {
      progress.step(index + 1, file.fileName);
      const started = performance.now();
      if (file.kind === 'sql' && client) await runSqlSeed(client, file);
      else if (knex) await runModuleSeed(knex, file);
      ran.push({ file: file.fileName, kind: file.kind, durationMs: Math.round(performance.now() - started) });
    }
  } finally {
    progress.stop();
    await client?.end();
    await knex?.destroy();
  }
  return {
    exitCode: EXIT_CODES.ok,
    document: { database: shownUrl(databaseUrl), directory: config.seedsDir, seeds: ran },
    render(output) {
      for (const seed of ran) {
        output.line(
          `${output.colours.green('seeded')} ${seed.file} ${output.colours.dim(formatDuration(seed.durationMs))}`,
        );
      }
      output.line(
        ran.length === 0 ? `No seed files in ${config.seedsDir}.` : `Ran ${plural(ran.length, 'seed file')}.`,
      );
    },
  };
}
