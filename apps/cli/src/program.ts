import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { addOptions, type CliOption, configFlags, type FlagsOf } from './commands/cli-option.js';
import type { CommandContext, CommandOutcome } from './commands/command.js';
import { dbCreateOptions, dbDropOptions } from './commands/db-create-options.js';
import { dbSeedOptions } from './commands/db-seed-options.js';
import { doctorOptions } from './commands/doctor-options.js';
import { migrateBaselineOptions } from './commands/migrate-baseline-options.js';
import { migrateCheckDesignOptions } from './commands/migrate-check-design-options.js';
import { migrateCheckOptions, migrateRenumberOptions } from './commands/migrate-check-options.js';
import { migrateDownOptions } from './commands/migrate-down-options.js';
import { migrateEvidenceOptions } from './commands/migrate-evidence-options.js';
import { migrateLintOptions } from './commands/migrate-lint-options.js';
import { migrateNewOptions } from './commands/migrate-new-options.js';
import { migratePlanOptions } from './commands/migrate-plan-options.js';
import { migrateRehearseOptions } from './commands/migrate-rehearse-options.js';
import { migrateStatusOptions } from './commands/migrate-status-options.js';
import { migrateUpOptions } from './commands/migrate-up-options.js';
import { migrateOptions } from './commands/shared-options.js';
import type { ConfigFlags } from './config/resolve-config.js';
import type { Output } from './output/output.js';

/**
 * Receives each command's work and the config settings its flags give; `runCli` runs it and
 * prints its outcome.
 */
export type CommandRunner = (
  json: boolean,
  flags: ConfigFlags,
  work: (context: CommandContext) => Promise<CommandOutcome>,
) => Promise<void>;

const version = (): string => {
  try {
    return (
      JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
    ).version;
  } catch {
    return '0.0.0';
  }
};

const example = (...lines: string[]): string =>
  `\nExample${lines.length > 1 ? 's' : ''}:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;

const ROOT_HELP = `
Configuration (later wins): defaults < strata.config.{ts,mts,mjs,js,json} (or --config, STRATA_CONFIG)
  < environment (DATABASE_URL, STRATA_MIGRATIONS_DIR, STRATA_SEEDS_DIR, STRATA_DESIGN_FILE,
  STRATA_POOL_MAX) < flags.

Exit codes:
  0  ok
  1  failed (a migration, a connection, a check that found an error)
  2  usage (unknown command or flag, bad value, invalid configuration)
  3  blocked (deploy gate, lint errors, schema_design.md findings, failing rehearsal, refused rollback,
     evidence that a contract's removals are in use, out-of-order or colliding migrations)

Read commands take --json for stable machine output; colours follow NO_COLOR / FORCE_COLOR
and switch off when stdout is not a terminal.
${example(
  'strata migrate status --dir db/migrations --database-url postgres://app@localhost/app',
  'strata migrate up && strata deploy mark v2.4.0 && strata migrate up --post-deploy',
  'strata doctor --json',
)}`;

/**
 * Builds the `strata` command tree. Every command's action hands its work to `run`, which
 * decides how the outcome is shown; handlers are imported lazily, so `--help` and usage
 * errors start fast.
 */
export function buildProgram(output: Output, run: CommandRunner): Command {
  const program = new Command('strata');
  program
    .description('Phased PostgreSQL migrations, deploy gates, lint, rehearsals, database setup and a doctor.')
    .version(version(), '-v, --version')
    .exitOverride()
    .showSuggestionAfterError()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      writeOut: (text) => output.line(text.replace(/\n$/, '')),
      writeErr: (text) => output.note(text.replace(/\n$/, '')),
      outputError: (text, write) => write(output.errorColours.red(text)),
    })
    .addHelpText('after', ROOT_HELP);

  // Each command's options are declared beside its handler (commands/*-options.ts), which gets
  // them typed by those declarations; the handler module itself loads only when it runs.
  const mount = <const Options extends readonly CliOption[], Args extends unknown[]>(
    command: Command,
    options: Options,
    load: (context: CommandContext, flags: FlagsOf<Options>, ...args: Args) => Promise<CommandOutcome>,
  ): Command =>
    addOptions(command, options).action(async (...args: unknown[]) => {
      const self = args.at(-1) as Command;
      // commander names and parses the options just as FlagsOf derives them from `options`.
      const flags = self.opts() as FlagsOf<Options>;
      // Before the flags and the command come the declared arguments, in order.
      const positional = args.slice(0, -2) as Args;
      await run(self.opts().json === true, configFlags(options, flags), (context) =>
        load(context, flags, ...positional),
      );
    });

  // strata migrate ...
  const migrate = program
    .command('migrate')
    .description('phased migrations: expand → backfill → validate → [deploy] → contract')
    .addHelpText('after', example('strata migrate status', 'strata migrate up --post-deploy'));

  mount(
    migrate
      .command('status')
      .description('every migration: applied, pending or blocked (and why), checksum, when and by whom'),
    migrateStatusOptions,
    async (context) => (await import('./commands/migrate-status.js')).migrateStatus(context),
  ).addHelpText(
    'after',
    example('strata migrate status --json | jq \'.migrations[] | select(.state != "applied")\''),
  );

  mount(
    migrate
      .command('plan')
      .description('what `migrate up` would run, in order, with its SQL; and what it would not, and why'),
    migratePlanOptions,
    async (context, flags) => (await import('./commands/migrate-plan.js')).migratePlan(context, flags),
  ).addHelpText('after', example('strata migrate plan --post-deploy'));

  mount(
    migrate
      .command('up')
      .description(
        'lint, then apply pending expand/backfill/validate migrations (contracts with --post-deploy)',
      ),
    migrateUpOptions,
    async (context, flags) => (await import('./commands/migrate-up.js')).migrateUp(context, flags),
  ).addHelpText(
    'after',
    `${example('strata migrate up', 'strata migrate up --post-deploy', 'strata migrate up --post-deploy --override-evidence "v1 workers drained at 14:05"')}Exit 3 when --post-deploy leaves a contract behind the deploy gate, the evidence or order check refuses a migration, or the linter finds errors.\n`,
  );

  mount(
    migrate
      .command('down')
      .description(
        'roll back the last migration (or all after --to) by phase; contracts are refused (exit 3)',
      ),
    migrateDownOptions,
    async (context, flags) => (await import('./commands/migrate-down.js')).migrateDown(context, flags),
  ).addHelpText('after', example('strata migrate down', 'strata migrate down --to 003'));

  mount(
    migrate
      .command('new')
      .description('create the next migration file from the phase template (no database needed)')
      .argument('<description...>', 'what it does, e.g. "add currency column"'),
    migrateNewOptions,
    async (context, flags, description: string[]) =>
      (await import('./commands/migrate-new.js')).migrateNew(context, description, flags),
  ).addHelpText('after', example('strata migrate new --scope billing --phase expand add currency column'));

  mount(
    migrate
      .command('lint')
      .description(
        "lint SQL migrations with PostgreSQL's parser (--database-url: against the catalog); exit 3 on errors",
      ),
    migrateLintOptions,
    async (context, flags) => (await import('./commands/migrate-lint.js')).migrateLint(context, flags),
  ).addHelpText(
    'after',
    example(
      'strata migrate lint',
      'strata migrate lint --since 42 --json',
      'strata migrate lint --database-url "$DATABASE_URL"',
    ),
  );

  mount(
    migrate
      .command('baseline')
      .description('adopt the existing history: lint and up stop judging these files (no database needed)'),
    migrateBaselineOptions,
    async (context, flags) =>
      (await import('./commands/migrate-baseline.js')).migrateBaseline(context, flags),
  ).addHelpText('after', example('strata migrate baseline', 'strata migrate baseline --through 071'));

  mount(
    migrate
      .command('check-design')
      .description(
        'compare schema_design.md with the migrations folder (no database needed); exit 3 on findings',
      ),
    migrateCheckDesignOptions,
    async (context) => (await import('./commands/migrate-check-design.js')).migrateCheckDesign(context),
  ).addHelpText('after', example('strata migrate check-design --design plans/PROJ-123/schema_design.md'));

  mount(
    migrate
      .command('evidence')
      .description(
        "what the evidence check finds: statements since the deploy mark still using a migration's removals",
      )
      .argument('<migration>', 'the migration: seq, name or file name'),
    migrateEvidenceOptions,
    async (context, _flags, migration: string) =>
      (await import('./commands/migrate-evidence.js')).migrateEvidence(context, migration),
  ).addHelpText(
    'after',
    example('strata migrate evidence 006', 'strata migrate evidence 006_billing_contract_drop_code --json'),
  );

  mount(
    migrate
      .command('check')
      .description(
        'compare the migrations folder with a git ref: colliding seqs, out-of-order files (exit 3)',
      ),
    migrateCheckOptions,
    async (context, flags) => (await import('./commands/migrate-check.js')).migrateCheck(context, flags),
  ).addHelpText('after', example('strata migrate check --base origin/main'));

  mount(
    migrate
      .command('renumber')
      .description(
        "rename the branch's new migrations to follow a git ref's last seq (and in schema_design.md)",
      ),
    migrateRenumberOptions,
    async (context, flags) =>
      (await import('./commands/migrate-renumber.js')).migrateRenumber(context, flags),
  ).addHelpText('after', example('strata migrate renumber --base origin/main --dry-run'));

  mount(
    migrate
      .command('rehearse')
      .description(
        'apply pending migrations to a throwaway copy filled with N rows per table, sampling locks',
      ),
    migrateRehearseOptions,
    async (context, flags) =>
      (await import('./commands/migrate-rehearse.js')).migrateRehearse(context, flags),
  ).addHelpText(
    'after',
    `${example('strata migrate rehearse --rows 100000', 'strata migrate rehearse --rows 20000 --baseline 007 --json')}Without --database-url (or DATABASE_URL) it runs on a local PostgreSQL from @strata/local-postgres.\n`,
  );

  // strata deploy ...
  const deploy = program
    .command('deploy')
    .description('deploy gates: record releases so contract migrations may run')
    .addHelpText('after', example('strata deploy mark v2.4.0', 'strata deploy list'));
  mount(
    deploy
      .command('mark')
      .description('record that a release of the application is deployed (opens the deploy gate)')
      .argument('<release>', 'the release, e.g. v2.4.0 or a commit sha'),
    migrateOptions,
    async (context, _flags, release: string) =>
      (await import('./commands/deploy-mark.js')).deployMark(context, release),
  ).addHelpText('after', example('strata deploy mark "$GIT_SHA"'));
  mount(
    deploy.command('list').description('the recorded deploys, oldest first'),
    migrateOptions,
    async (context) => (await import('./commands/deploy-list.js')).deployList(context),
  ).addHelpText('after', example('strata deploy list --json'));

  // strata db ...
  const db = program
    .command('db')
    .description('create, drop and seed the database DATABASE_URL names')
    .addHelpText('after', example('strata db create --if-not-exists && strata migrate up && strata db seed'));
  mount(db.command('create').description('create the database'), dbCreateOptions, async (context, flags) =>
    (await import('./commands/db-create.js')).dbCreate(context, flags),
  ).addHelpText('after', example('strata db create --database-url postgres://app@localhost/app_dev'));
  mount(
    db.command('drop').description('drop the database (needs --yes)'),
    dbDropOptions,
    async (context, flags) => (await import('./commands/db-create.js')).dbDrop(context, flags),
  ).addHelpText('after', example('strata db drop --yes --force'));
  mount(
    db
      .command('seed')
      .description('run the seed files: .sql in one transaction each, .js/.mjs/.ts modules via seed(knex)'),
    dbSeedOptions,
    async (context) => (await import('./commands/db-seed.js')).dbSeed(context),
  ).addHelpText('after', example('strata db seed --dir db/seeds'));

  // strata doctor
  mount(
    program
      .command('doctor')
      .description(
        'check the server: version, max_connections vs pool max, timeouts, PgBouncer; flag problems',
      ),
    doctorOptions,
    async (context, flags) => (await import('./commands/doctor.js')).doctor(context, flags),
  ).addHelpText('after', example('strata doctor --pool-max 20 --instances 4'));

  return program;
}
