import { shownUrl } from '../database/require-database-url.js';
import { EXIT_CODES } from '../exit-codes.js';
import { plural } from '../output/format.js';
import type { CommandContext, CommandOutcome } from './command.js';
import type { MigratePlanFlags } from './migrate-plan-options.js';
import { withMigrator } from './with-migrator.js';

/**
 * `strata migrate plan`: what `migrate up` (with `--post-deploy`, what `up --post-deploy`)
 * would run, in order, with its SQL; and what it would not run, and why. Reads only.
 */
export async function migratePlan(context: CommandContext, flags: MigratePlanFlags): Promise<CommandOutcome> {
  const postDeploy = flags.postDeploy === true;
  const {
    config,
    databaseUrl,
    result: plan,
  } = await withMigrator(context, { designGates: true }, (migrator) => migrator.plan({ postDeploy }));
  return {
    exitCode: EXIT_CODES.ok,
    document: {
      directory: config.migrationsDir,
      database: shownUrl(databaseUrl),
      postDeploy,
      migrations: plan.migrations,
      blocked: plan.blocked,
    },
    render(output) {
      const c = output.colours;
      const command = postDeploy ? 'migrate up --post-deploy' : 'migrate up';
      if (plan.migrations.length === 0) {
        output.line(`Nothing to run: \`${command}\` would apply no migration.`);
      } else {
        output.line(
          c.bold(`\`${command}\` would apply ${plural(plan.migrations.length, 'migration')}, in this order:`),
        );
      }
      for (const migration of plan.migrations) {
        output.line();
        const mode = migration.transactional
          ? 'in one transaction'
          : `outside a transaction (${migration.nonTransactional.map((n) => `line ${n.line}: ${n.reason}`).join('; ')})`;
        output.line(`${c.cyan(migration.fileName)} ${c.dim(`${migration.phase}, ${mode}`)}`);
        const sql = migration.sql ?? '(a .ts/.js migration: its up(knex) runs code)';
        for (const line of sql.trim().split('\n')) output.line(c.dim(`    ${line}`));
      }
      if (plan.blocked.length > 0) {
        output.line();
        output.line(c.bold(`Not run (${plan.blocked.length}):`));
        for (const blocked of plan.blocked) {
          output.line(`  ${blocked.name}: ${c.red(blocked.blockedBy)}: ${blocked.reason}`);
        }
      }
    },
  };
}
