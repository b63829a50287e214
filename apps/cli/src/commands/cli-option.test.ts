import { Command } from 'commander';
import { describe, expect, expectTypeOf, test } from 'vitest';
import { addOptions, configFlags, type FlagsOf, option, wholeNumber } from './cli-option.js';

const options = [
  option('--dir <path>', 'a folder', { setting: 'migrationsDir' }),
  option('--max-blocking-ms <ms>', 'a threshold', {
    parse: wholeNumber(0, 100),
    setting: 'rehearsal.maxBlockingMs',
  }),
  option('--phase <phase>', 'a phase', { choices: ['expand', 'contract'], mandatory: true }),
  option('--ext <ext>', 'a file type', { choices: ['sql', 'ts'], default: 'sql' }),
  option('--post-deploy', 'a switch'),
  option('--config <file>', 'a config file'),
] as const;

const parse = (args: string[]): FlagsOf<typeof options> => {
  const command = addOptions(
    new Command('test').exitOverride().configureOutput({ writeErr: () => undefined }),
    options,
  );
  command.parse(args, { from: 'user' });
  return command.opts() as FlagsOf<typeof options>;
};

describe('an option declared once gives commander its flag and the handler its type', () => {
  test('the flags are typed from the declarations, under the names commander gives them', () => {
    expectTypeOf<FlagsOf<typeof options>>().toEqualTypeOf<
      { phase: 'expand' | 'contract'; ext: 'sql' | 'ts' } & {
        dir?: string;
        maxBlockingMs?: number;
        postDeploy?: boolean;
        config?: string;
      }
    >();
    expect(
      parse([
        '--dir',
        'db',
        '--max-blocking-ms',
        '50',
        '--phase',
        'contract',
        '--post-deploy',
        '--config',
        'c.json',
      ]),
    ).toEqual({
      dir: 'db',
      maxBlockingMs: 50,
      phase: 'contract',
      ext: 'sql',
      postDeploy: true,
      config: 'c.json',
    });
  });

  test('commander enforces what the declaration says: choices, parsers and mandatory options', () => {
    expect(() => parse(['--phase', 'shrink'])).toThrow(/Allowed choices are expand, contract/);
    expect(() => parse(['--phase', 'expand', '--max-blocking-ms', '101'])).toThrow(/between 0 and 100/);
    expect(() => parse([])).toThrow(/required option '--phase <phase>' not specified/);
  });

  test('configFlags gives each setting under its config key, labelled with the flag it came from', () => {
    expect(
      configFlags(options, parse(['--phase', 'expand', '--max-blocking-ms', '5', '--config', 'c.json'])),
    ).toEqual({
      config: 'c.json',
      values: { rehearsal: { maxBlockingMs: 5 } },
      labels: { migrationsDir: '--dir', 'rehearsal.maxBlockingMs': '--max-blocking-ms' },
    });
  });
});
