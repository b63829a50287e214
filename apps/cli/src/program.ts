import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { CommandContext, CommandOutcome } from './commands/command.js';
import type { Output } from './output/output.js';

/** Receives each command's work; `runCli` runs it and prints its outcome. */
export type CommandRunner = (
  json: boolean,
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

/** A commander parser for a whole number within [min, max]: a bad value is a usage error (exit 2). */
const wholeNumber =
  (min: number, max: number) =>
  (value: string): number => {
    if (!/^[0-9]+$/.test(value)) throw new InvalidArgumentError('must be a whole number.');
    const number = Number.parseInt(value, 10);
    if (number < min || number > max) throw new InvalidArgumentError(`must be between ${min} and ${max}.`);
    return number;
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
  3  blocked (deploy gate, lint errors, schema_design.md findings, failing rehearsal, refused rollback)

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

  // Every migrate and deploy command takes --dir and --database-url, so scripts can pass both
  // everywhere; new, lint and check-design never connect.
  const common = (command: Command, { database = true } = {}): Command => {
    command.option('--dir <path>', 'migrations folder (default: ./migrations, STRATA_MIGRATIONS_DIR)');
    command.option(
      '--database-url <url>',
      database
        ? 'PostgreSQL URL (default: DATABASE_URL)'
        : 'accepted for uniform scripts; not used (no database needed)',
    );
    return command
      .option('--config <file>', 'config file (default: ./strata.config.{ts,mts,mjs,js,json}, STRATA_CONFIG)')
      .option('--json', 'print machine-readable JSON on stdout');
  };
  const handler =
    <T extends unknown[]>(load: (context: CommandContext, ...args: T) => Promise<CommandOutcome>) =>
    async (...args: unknown[]): Promise<void> => {
      const command = args.at(-1) as Command;
      const flags = command.opts();
      const positional = args.slice(0, -2) as unknown[];
      await run(flags.json === true, (context) => load(context, ...([...positional, flags] as T)));
    };

  // strata migrate ...
  const migrate = program
    .command('migrate')
    .description('phased migrations: expand → backfill → validate → [deploy] → contract')
    .addHelpText('after', example('strata migrate status', 'strata migrate up --post-deploy'));

  common(
    migrate
      .command('status')
      .description('every migration: applied, pending or blocked (and why), checksum, when and by whom')
      .option('--design <file>', 'schema_design.md whose deploy gates apply (STRATA_DESIGN_FILE)'),
  )
    .addHelpText(
      'after',
      example('strata migrate status --json | jq \'.migrations[] | select(.state != "applied")\''),
    )
    .action(
      handler(async (context, flags) =>
        (await import('./commands/migrate-status.js')).migrateStatus(context, flags as never),
      ),
    );

  common(
    migrate
      .command('plan')
      .description('what `migrate up` would run, in order, with its SQL; and what it would not, and why')
      .option('--post-deploy', 'plan `up --post-deploy`: include contracts whose deploy gate is open')
      .option('--design <file>', 'schema_design.md whose deploy gates apply (STRATA_DESIGN_FILE)'),
  )
    .addHelpText('after', example('strata migrate plan --post-deploy'))
    .action(
      handler(async (context, flags) =>
        (await import('./commands/migrate-plan.js')).migratePlan(context, flags as never),
      ),
    );

  common(
    migrate
      .command('up')
      .description(
        'lint, then apply pending expand/backfill/validate migrations (contracts with --post-deploy)',
      )
      .option('--post-deploy', 'also run contract migrations whose deploy gate is open (after `deploy mark`)')
      .option('--design <file>', 'schema_design.md whose deploy gates apply (STRATA_DESIGN_FILE)'),
  )
    .addHelpText(
      'after',
      `${example('strata migrate up', 'strata migrate up --post-deploy')}Exit 3 when --post-deploy leaves a contract behind the deploy gate, or the linter finds errors.\n`,
    )
    .action(
      handler(async (context, flags) =>
        (await import('./commands/migrate-up.js')).migrateUp(context, flags as never),
      ),
    );

  common(
    migrate
      .command('down')
      .description(
        'roll back the last migration (or all after --to) by phase; contracts are refused (exit 3)',
      )
      .option('--to <seq|name>', 'roll back every applied migration after this one (it is kept)'),
  )
    .addHelpText('after', example('strata migrate down', 'strata migrate down --to 003'))
    .action(
      handler(async (context, flags) =>
        (await import('./commands/migrate-down.js')).migrateDown(context, flags as never),
      ),
    );

  common(
    migrate
      .command('new')
      .description('create the next migration file from the phase template (no database needed)')
      .argument('<description...>', 'what it does, e.g. "add currency column"')
      .requiredOption('--scope <scope>', 'ticket id or feature name, e.g. PROJ-123 or user_auth')
      .addOption(
        new Option('--phase <phase>', 'expand | backfill | validate | contract')
          .choices(['expand', 'backfill', 'validate', 'contract'])
          .makeOptionMandatory(),
      )
      .addOption(new Option('--ext <ext>', 'file type').choices(['sql', 'ts', 'js']).default('sql')),
    { database: false },
  )
    .addHelpText('after', example('strata migrate new --scope billing --phase expand add currency column'))
    .action(
      handler(async (context, description, flags) =>
        (await import('./commands/migrate-new.js')).migrateNew(
          context,
          description as string[],
          flags as never,
        ),
      ),
    );

  common(
    migrate
      .command('lint')
      .description("lint SQL migrations with PostgreSQL's parser (no database needed); exit 3 on errors")
      .option('--since <seq>', 'report only migrations from this seq on', wholeNumber(0, 1_000_000_000)),
    { database: false },
  )
    .addHelpText('after', example('strata migrate lint', 'strata migrate lint --since 42 --json'))
    .action(
      handler(async (context, flags) =>
        (await import('./commands/migrate-lint.js')).migrateLint(context, flags as never),
      ),
    );

  common(
    migrate
      .command('baseline')
      .description('adopt the existing history: lint and up stop judging these files (no database needed)')
      .option('--through <seq|name>', 'adopt the migrations up to this one (default: all)'),
    { database: false },
  )
    .addHelpText('after', example('strata migrate baseline', 'strata migrate baseline --through 071'))
    .action(
      handler(async (context, flags) =>
        (await import('./commands/migrate-baseline.js')).migrateBaseline(context, flags as never),
      ),
    );

  common(
    migrate
      .command('check-design')
      .description(
        'compare schema_design.md with the migrations folder (no database needed); exit 3 on findings',
      )
      .option('--design <file>', 'the design (default: ./schema_design.md, then <dir>/schema_design.md)'),
    { database: false },
  )
    .addHelpText('after', example('strata migrate check-design --design plans/PROJ-123/schema_design.md'))
    .action(
      handler(async (context, flags) =>
        (await import('./commands/migrate-check-design.js')).migrateCheckDesign(context, flags as never),
      ),
    );

  common(
    migrate
      .command('rehearse')
      .description(
        'apply pending migrations to a throwaway copy filled with N rows per table, sampling locks',
      )
      .option('--rows <n>', 'synthetic rows per table (default 1000)', wholeNumber(0, 10_000_000))
      .option(
        '--max-blocking-ms <ms>',
        'fail when a write-blocking lock is held longer (default 1000)',
        wholeNumber(0, 86_400_000),
      )
      .option('--sample-interval-ms <ms>', 'pg_locks sampling interval (default 10)', wholeNumber(1, 1_000))
      .addOption(
        new Option(
          '--clone <mode>',
          'copy the schema by replaying applied migrations, or CREATE DATABASE ... TEMPLATE',
        )
          .choices(['replay', 'template'])
          .default('replay'),
      )
      .option(
        '--baseline <seq|name>',
        'migrations up to this one form the current schema (instead of the history)',
      )
      .option('--keep', 'keep the rehearsal database afterwards'),
  )
    .addHelpText(
      'after',
      `${example('strata migrate rehearse --rows 100000', 'strata migrate rehearse --rows 20000 --baseline 007 --json')}Without --database-url (or DATABASE_URL) it runs on a local PostgreSQL from @strata/local-postgres.\n`,
    )
    .action(
      handler(async (context, flags) =>
        (await import('./commands/migrate-rehearse.js')).migrateRehearse(context, flags as never),
      ),
    );

  // strata deploy ...
  const deploy = program
    .command('deploy')
    .description('deploy gates: record releases so contract migrations may run')
    .addHelpText('after', example('strata deploy mark v2.4.0', 'strata deploy list'));
  common(
    deploy
      .command('mark')
      .description('record that a release of the application is deployed (opens the deploy gate)')
      .argument('<release>', 'the release, e.g. v2.4.0 or a commit sha'),
  )
    .addHelpText('after', example('strata deploy mark "$GIT_SHA"'))
    .action(
      handler(async (context, release, flags) =>
        (await import('./commands/deploy-mark.js')).deployMark(context, release as string, flags as never),
      ),
    );
  common(deploy.command('list').description('the recorded deploys, oldest first'))
    .addHelpText('after', example('strata deploy list --json'))
    .action(
      handler(async (context, flags) =>
        (await import('./commands/deploy-list.js')).deployList(context, flags as never),
      ),
    );

  // strata db ...
  const db = program
    .command('db')
    .description('create, drop and seed the database DATABASE_URL names')
    .addHelpText('after', example('strata db create --if-not-exists && strata migrate up && strata db seed'));
  const dbOptions = (command: Command): Command =>
    command
      .option('--database-url <url>', 'PostgreSQL URL (default: DATABASE_URL)')
      .option('--config <file>', 'config file (default: ./strata.config.*, STRATA_CONFIG)')
      .option('--json', 'print machine-readable JSON on stdout');
  dbOptions(
    db
      .command('create')
      .description('create the database')
      .option('--if-not-exists', 'accept an existing one'),
  )
    .addHelpText('after', example('strata db create --database-url postgres://app@localhost/app_dev'))
    .action(
      handler(async (context, flags) =>
        (await import('./commands/db-create.js')).dbCreate(context, flags as never),
      ),
    );
  dbOptions(
    db
      .command('drop')
      .description('drop the database (needs --yes)')
      .option('--yes', 'really drop it')
      .option('--force', 'end its sessions first (DROP DATABASE ... WITH (FORCE))')
      .option('--if-exists', 'accept a missing one'),
  )
    .addHelpText('after', example('strata db drop --yes --force'))
    .action(
      handler(async (context, flags) =>
        (await import('./commands/db-create.js')).dbDrop(context, flags as never),
      ),
    );
  dbOptions(
    db
      .command('seed')
      .description('run the seed files: .sql in one transaction each, .js/.mjs/.ts modules via seed(knex)')
      .option('--dir <path>', 'seeds folder (default: ./seeds, STRATA_SEEDS_DIR)'),
  )
    .addHelpText('after', example('strata db seed --dir db/seeds'))
    .action(
      handler(async (context, flags) =>
        (await import('./commands/db-seed.js')).dbSeed(context, flags as never),
      ),
    );

  // strata doctor
  program
    .command('doctor')
    .description('check the server: version, max_connections vs pool max, timeouts, PgBouncer; flag problems')
    .option('--database-url <url>', 'PostgreSQL URL (default: DATABASE_URL)')
    .option(
      '--pool-max <n>',
      "the application pool's max (default 25, STRATA_POOL_MAX)",
      wholeNumber(1, 100_000),
    )
    .option(
      '--instances <n>',
      'application instances, each with its own pool (default 1)',
      wholeNumber(1, 10_000),
    )
    .option('--config <file>', 'config file (default: ./strata.config.*, STRATA_CONFIG)')
    .option('--json', 'print machine-readable JSON on stdout')
    .addHelpText('after', example('strata doctor --pool-max 20 --instances 4'))
    .action(
      handler(async (context, flags) =>
        (await import('./commands/doctor.js')).doctor(context, flags as never),
      ),
    );

  return program;
}
