import { describe, expect, test } from 'vitest';
import { coloursEnabled } from './colour-support.js';

describe('coloursEnabled', () => {
  test.each([
    [{}, true, true],
    [{}, false, false],
    [{ CI: 'true' }, false, false],
    [{ TERM: 'dumb' }, true, false],
    [{ NO_COLOR: '1' }, true, false],
    [{ NO_COLOR: '' }, true, true],
    [{ FORCE_COLOR: '1' }, false, true],
    [{ FORCE_COLOR: '0' }, true, false],
    [{ FORCE_COLOR: '1', NO_COLOR: '1' }, true, false],
  ])('env %j, terminal %s → %s', (env, isTTY, expected) => {
    expect(coloursEnabled(env, isTTY)).toBe(expected);
  });
});
