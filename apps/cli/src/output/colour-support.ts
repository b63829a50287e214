/**
 * Whether to colour output written to a stream: never when `NO_COLOR` is set to anything but
 * the empty string (https://no-color.org), always when `FORCE_COLOR` is set (except `0` or
 * `false`), else only on a terminal whose `TERM` is not `dumb`. Unlike picocolors' own check,
 * `CI` alone does not turn colours on, so logs and parsed output stay plain.
 */
export function coloursEnabled(env: Readonly<Record<string, string | undefined>>, isTTY: boolean): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false';
  return isTTY && env.TERM !== 'dumb';
}
