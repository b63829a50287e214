import { execFile } from 'node:child_process';
import { userInfo } from 'node:os';
import { promisify } from 'node:util';
import { StrataError } from '@strata/errors';
import type { ProcessIdentity } from './server-process.js';

const run = promisify(execFile);

/**
 * Who a server process runs as: `undefined` (ourselves) unless we are root, then the
 * `postgres` system user, since PostgreSQL and PgBouncer both refuse to run as root.
 */
export async function serverIdentity(): Promise<ProcessIdentity | undefined> {
  if (userInfo().uid !== 0) return undefined;
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch (cause) {
    throw new StrataError(
      'NO_POSTGRES_USER',
      'Running as root, servers must run as the "postgres" system user, which does not exist. ' +
        'Create it (`useradd --system --user-group postgres`) or run as an unprivileged user.',
      { cause },
    );
  }
}
