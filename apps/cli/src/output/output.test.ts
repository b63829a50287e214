import { describe, expect, test } from 'vitest';
import { type CliIo, Output } from './output.js';

const capture = (stdoutTTY: boolean, stderrTTY: boolean, env: Record<string, string> = {}) => {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io: CliIo = {
    stdout: { write: (text: string) => stdout.push(text), isTTY: stdoutTTY },
    stderr: { write: (text: string) => stderr.push(text), isTTY: stderrTTY, columns: 120 },
    env,
    cwd: '/',
  };
  return { output: new Output(io), stdout, stderr };
};

describe('Output', () => {
  test('never prints a registered secret, in any encoding, on either stream', () => {
    const { output, stdout, stderr } = capture(false, false);
    output.addSecret('p@ss word');
    output.line('postgres://app:p%40ss%20word@db/app');
    output.note('password was p@ss word');
    output.document({ url: 'postgres://app:p%40ss%20word@db/app' });
    expect([...stdout, ...stderr].join('')).not.toMatch(/p@ss|p%40ss/);
    expect(stdout[0]).toBe('postgres://app:***@db/app\n');
  });

  test('progress bars draw on stderr only when both streams are terminals and output is not JSON', () => {
    const terminal = capture(true, true);
    const bar = terminal.output.progress('migrate up', 2);
    bar.step(1, '001_a_expand_x');
    bar.stop();
    expect(terminal.stderr.join('')).toContain('migrate up [');
    expect(terminal.stderr.join('')).toContain('1/2');
    expect(terminal.stdout).toEqual([]);

    for (const [stdoutTTY, stderrTTY, json] of [
      [false, true, false],
      [true, false, false],
      [true, true, true],
    ] as const) {
      const other = capture(stdoutTTY, stderrTTY);
      other.output.json = json;
      const silent = other.output.progress('migrate up', 2);
      silent.step(1, 'x');
      silent.stop();
      expect(other.stderr).toEqual([]);
    }
  });

  test('a table of results, or the line saying there is nothing when there are no rows', () => {
    const { output, stdout } = capture(false, false);
    output.table([{ heading: 'SEQ', align: 'right' }, { heading: 'NAME' }], [['1', 'a']], 'Nothing yet.');
    output.table([{ heading: 'SEQ' }], [], 'Nothing yet.');
    expect(stdout).toEqual(['SEQ  NAME\n───  ────\n  1  a\n', 'Nothing yet.\n']);
  });
});
