import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';

// Package managers put pgbouncer in sbin folders that are often not on a user's PATH.
const USUAL_FOLDERS = [
  '/usr/sbin',
  '/usr/local/sbin',
  '/usr/local/bin',
  '/opt/homebrew/bin',
  '/opt/homebrew/sbin',
];

const isExecutable = (file: string) =>
  access(file, constants.X_OK).then(
    () => true,
    () => false,
  );

/**
 * Finds the `pgbouncer` program: `explicit` when given, else the first one on PATH or in the
 * usual sbin folders. `tried` says where it looked, for the error when nothing is found.
 */
export async function findPgBouncerBinary(
  explicit?: string,
  environment: NodeJS.ProcessEnv = process.env,
): Promise<{ binary: string | undefined; tried: string }> {
  if (explicit) return { binary: (await isExecutable(explicit)) ? explicit : undefined, tried: explicit };
  const folders = [...(environment.PATH ?? '').split(path.delimiter).filter(Boolean), ...USUAL_FOLDERS];
  const unique = [...new Set(folders)];
  for (const folder of unique) {
    const candidate = path.join(folder, 'pgbouncer');
    if (await isExecutable(candidate)) return { binary: candidate, tried: candidate };
  }
  return { binary: undefined, tried: `pgbouncer on PATH and in ${USUAL_FOLDERS.join(', ')}` };
}
