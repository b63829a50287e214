import { chown, writeFile } from 'node:fs/promises';
import type { ProcessIdentity } from './server-process.js';

/** Hands a file or folder to the user a server runs as (nothing to do when that is us). */
export async function giveToServerUser(target: string, owner: ProcessIdentity | undefined): Promise<void> {
  if (owner) await chown(target, owner.uid, owner.gid);
}

/** Writes a file only the server's user may read: configuration holding a password, say. */
export async function writeServerFile(
  file: string,
  contents: string,
  owner: ProcessIdentity | undefined,
  flag: 'w' | 'a' = 'w',
): Promise<void> {
  await writeFile(file, contents, { mode: 0o600, flag });
  await giveToServerUser(file, owner);
}
