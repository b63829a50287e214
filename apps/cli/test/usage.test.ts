import { execFile } from 'node:child_process';
import os from 'node:os';
import { promisify, stripVTControlCharacters } from 'node:util';
import { sqlMigration } from '@strata/migration-fixtures';
import { describe, expect, test } from 'vitest';
import { runCli } from '../src/run-cli.js';
import { createTempFolder, strata } from './strata-harness.js';

const coloured = (text: string): boolean => stripVTControlCharacters(text) !== text;

describe('bad command lines are usage errors (exit 2) that say what is wrong', () => {
  test.each([
    [['migrate', 'status', '--bogus'], "unknown option '--bogus'"],
    [
      ['migrate', 'lint', '--since', 'abc'],
      "option '--since <seq>' argument 'abc' is invalid. must be a whole number.",
    ],
    [['migrate', 'rehearse', '--rows', '-5'], "option '--rows <n>' argument '-5' is invalid"],
    [
      ['migrate', 'new', '--scope', 'x', '--phase', 'shrink', 'a'],
      "argument 'shrink' is invalid. Allowed choices are expand, backfill, validate, contract.",
    ],
    [['migrate', 'new', '--phase', 'expand', 'a'], "required option '--scope <scope>' not specified"],
    [['migrate', 'frobnicate'], "unknown command 'frobnicate'"],
    [['deploy', 'mark'], "missing required argument 'release'"],
    [['deploy', 'list', 'extra'], 'too many arguments'],
    [['migrate'], 'Usage: strata migrate'],
  ])('strata %j', async (args, message) => {
    const run = await strata(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stdout).toBe('');
  });

  test('a database command without a database says how to give one', async () => {
    const run = await strata(['migrate', 'status', '--dir', '.']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('No database given: pass --database-url, set DATABASE_URL');
  });

  test('with --json, a usage error after parsing is a JSON document too', async () => {
    const run = await strata(['deploy', 'list', '--json']);
    expect(run.code).toBe(2);
    expect(run.json()).toMatchObject({ ok: false, error: { code: 'CLI_USAGE' } });
  });

  test('an invalid setting names where it came from, and never echoes the value', async () => {
    const run = await strata(['doctor', '--database-url', 'mysql://root:hunter2@db/app'], {
      env: { STRATA_POOL_MAX: 'lots' },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--database-url: must be a postgres:// or postgresql:// URL');
    expect(run.stderr).toContain('STRATA_POOL_MAX:');
    expect(run.stderr).not.toContain('hunter2');
  });

  test('drop without --yes changes nothing', async () => {
    const run = await strata(['db', 'drop', '--database-url', 'postgres://nobody@127.0.0.1:1/app']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Refusing to drop database "app" without --yes.');
  });
});

describe('--help', () => {
  const commands = [
    [],
    ['migrate'],
    ['migrate', 'status'],
    ['migrate', 'up'],
    ['migrate', 'down'],
    ['migrate', 'plan'],
    ['migrate', 'new'],
    ['migrate', 'lint'],
    ['migrate', 'rehearse'],
    ['migrate', 'check-design'],
    ['migrate', 'check'],
    ['migrate', 'renumber'],
    ['migrate', 'evidence'],
    ['deploy'],
    ['deploy', 'mark'],
    ['deploy', 'list'],
    ['db'],
    ['db', 'create'],
    ['db', 'drop'],
    ['db', 'seed'],
    ['doctor'],
  ];

  // The whole sweep runs in-process through runCli (what bin.js calls), to spare 21 process
  // starts; the binary itself is checked on two of them.
  test.each(commands)('strata %s --help shows usage with an example and exits 0', async (...command) => {
    const stdout: string[] = [];
    const code = await runCli([...command, '--help'], {
      stdout: { write: (text: string) => stdout.push(text) },
      stderr: { write: () => true },
      env: {},
      cwd: process.cwd(),
    });
    const name = ['strata', ...command].join(' ');
    expect(code).toBe(0);
    expect(stdout.join('')).toContain(`Usage: ${name}`);
    expect(stdout.join('')).toMatch(/Examples?:\n {2}\$ strata /);
  });

  test('the binary prints the same help, with the exit codes', async () => {
    const [root, rehearse] = await Promise.all([
      strata(['--help']),
      strata(['migrate', 'rehearse', '--help']),
    ]);
    expect(root.code).toBe(0);
    expect(root.stdout).toContain('3  blocked (deploy gate, lint errors');
    expect(rehearse.code).toBe(0);
    expect(rehearse.stdout).toContain('$ strata migrate rehearse --rows 100000');
  });
});

describe('colours', () => {
  test('off when stdout is not a terminal or NO_COLOR is set; on with FORCE_COLOR', async () => {
    const folder = await createTempFolder();
    try {
      await folder.write(
        'migrations/001_app_expand_add_index.sql',
        sqlMigration('CREATE INDEX orders_idx ON orders (id);', 'DROP INDEX orders_idx;'),
      );
      const args = ['migrate', 'lint', '--dir', `${folder.path}/migrations`];
      const piped = await strata(args);
      const forced = await strata(args, { env: { FORCE_COLOR: '1' } });
      const noColor = await strata(args, { env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
      for (const run of [piped, forced, noColor]) {
        expect(run.code).toBe(3);
        expect(run.stdout).toContain('create-index-without-concurrently');
      }
      expect(coloured(forced.stdout)).toBe(true);
      expect(coloured(piped.stdout)).toBe(false);
      expect(coloured(noColor.stdout)).toBe(false);
    } finally {
      await folder.cleanup();
    }
  });
});

describe('configuration', () => {
  test('strata.config.json in the working directory sets the folder; an unknown key is named', async () => {
    const folder = await createTempFolder();
    try {
      await folder.write(
        'db/migrations/001_app_expand_create_t.sql',
        sqlMigration('CREATE TABLE t (id bigint);'),
      );
      await folder.write('strata.config.json', JSON.stringify({ migrationsDir: 'db/migrations' }));
      const ok = await strata(['migrate', 'lint', '--json'], { cwd: folder.path });
      expect(ok.code).toBe(0);
      expect(ok.json()).toMatchObject({ directory: `${folder.path}/db/migrations`, files: 1 });

      await folder.write(
        'strata.config.json',
        JSON.stringify({ migrationDir: 'db/migrations', rehearsal: { row: 5 } }),
      );
      const bad = await strata(['migrate', 'lint'], { cwd: folder.path });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('strata.config.json: migrationDir: unknown setting');
      expect(bad.stderr).toContain('strata.config.json: rehearsal.row: unknown setting');
    } finally {
      await folder.cleanup();
    }
  });

  test('strata.config.ts loads through tsx, and flags win over it', async () => {
    const folder = await createTempFolder();
    try {
      await folder.write(
        'from-config/001_app_expand_create_t.sql',
        sqlMigration('CREATE TABLE t (id bigint);'),
      );
      await folder.write(
        'from-flag/001_app_expand_create_u.sql',
        sqlMigration('CREATE TABLE u (id bigint);'),
      );
      await folder.write(
        'strata.config.ts',
        "const dir: string = 'from-config';\nexport default { migrationsDir: dir, poolMax: 10 };\n",
      );
      const fromConfig = await strata(['migrate', 'lint', '--json'], { cwd: folder.path });
      expect(fromConfig.json()).toMatchObject({ directory: `${folder.path}/from-config` });
      const fromFlag = await strata(['migrate', 'lint', '--json', '--dir', 'from-flag'], {
        cwd: folder.path,
      });
      expect(fromFlag.json()).toMatchObject({ directory: `${folder.path}/from-flag` });
    } finally {
      await folder.cleanup();
    }
  });

  test('`pnpm strata` from a subdirectory resolves relative paths against that directory', async () => {
    const folder = await createTempFolder();
    try {
      await folder.write(
        'db/migrations/001_app_expand_create_t.sql',
        sqlMigration('CREATE TABLE t (id bigint);'),
      );
      // The root package.json's script, as a user in that folder runs it.
      const { stdout } = await promisify(execFile)(
        'pnpm',
        ['--workspace-root', '--silent', 'strata', 'migrate', 'lint', '--dir', 'db/migrations', '--json'],
        { cwd: folder.path, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir() } },
      );
      expect(JSON.parse(stdout)).toMatchObject({ directory: `${folder.path}/db/migrations`, files: 1 });
    } finally {
      await folder.cleanup();
    }
  });
});

describe('secrets', () => {
  test('a failed connection names the database without its password', async () => {
    const folder = await createTempFolder();
    const run = await strata(['migrate', 'status', '--dir', folder.path, '--json'], {
      env: { DATABASE_URL: 'postgres://app:s3cr%21t-pw@127.0.0.1:1/app' },
    });
    await folder.cleanup();
    expect(run.code).toBe(1);
    const { error } = run.json<{ error: { code: string; message: string } }>();
    expect(error.code).toBe('CONNECTION_ERROR');
    expect(error.message).toContain('postgres://app:***@127.0.0.1:1/app');
    expect(run.stdout + run.stderr).not.toMatch(/s3cr/);
  });
});
