import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { MigrationDirectoryError } from '@strata/migrate';
import { UsageError } from '../cli-errors.js';

/** The migrations folder on the branch (the working tree) and on a base ref, by file name. */
export interface MigrationFolders {
  /** The repository's top folder. */
  repository: string;
  ref: string;
  /** The commit the ref names. */
  commit: string;
  base: string[];
  branch: string[];
  /** The folder where HEAD left the base (`git merge-base`); undefined when they share no history. */
  forkPoint: string[] | undefined;
}

class GitFailure extends Error {
  constructor(
    readonly args: readonly string[],
    readonly stderr: string,
    options: { cause?: unknown },
  ) {
    super(`git ${args.join(' ')} failed: ${stderr.trim() || String(options.cause)}`, options);
  }
}

// git, run directly (no shell): arguments are never interpreted.
function git(cwd: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', [...args], { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new GitFailure(args, String(stderr), { cause: error }));
      else resolve(String(stdout));
    });
  });
}

const entries = (output: string): string[] => output.split('\0').filter((entry) => entry !== '');

// The file names of a folder of the repository at a commit; none when it does not exist there.
async function folderAt(repository: string, commit: string, prefix: string): Promise<string[]> {
  const tree = `${commit}:${prefix}`;
  const exists = await git(repository, ['cat-file', '-t', tree]).then(
    (type) => type.trim() === 'tree',
    () => false,
  );
  return exists ? entries(await git(repository, ['ls-tree', '-z', '--name-only', tree])) : [];
}

/**
 * Reads the migrations folder at `ref` (`git ls-tree`), at the fork point of HEAD and `ref`
 * (`git merge-base`), and in the working tree. A folder outside a repository, a missing git,
 * or a ref git does not know is a usage error naming it.
 */
export async function migrationFolders(directory: string, ref: string): Promise<MigrationFolders> {
  if (ref.startsWith('-') || ref.trim() === '') throw new UsageError(`--base: "${ref}" is not a git ref.`);
  let branch: string[];
  try {
    branch = (await readdir(directory, { withFileTypes: true }))
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name);
  } catch (error) {
    throw new MigrationDirectoryError(
      directory,
      'cannot be read; check the path (--dir, STRATA_MIGRATIONS_DIR)',
      {
        cause: error,
      },
    );
  }
  let repository: string;
  let prefix: string;
  try {
    repository = (await git(directory, ['rev-parse', '--show-toplevel'])).trim();
    prefix = (await git(directory, ['rev-parse', '--show-prefix'])).trim();
  } catch (error) {
    const missing = (error as { cause?: { code?: unknown } }).cause?.code === 'ENOENT';
    throw new UsageError(
      missing
        ? 'git is not installed (or not on PATH); the branch checks compare with a git ref.'
        : `${directory} is not inside a git repository; the branch checks compare the migrations folder with a git ref.`,
    );
  }
  const commit = (
    await git(repository, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]).catch(
      () => {
        throw new UsageError(
          `--base: git does not know the ref "${ref}" (fetch it first, e.g. git fetch origin main).`,
        );
      },
    )
  ).trim();
  const forkCommit = await git(repository, ['merge-base', commit, 'HEAD']).then(
    (output) => output.trim(),
    () => undefined,
  );
  return {
    repository,
    ref,
    commit,
    base: await folderAt(repository, commit, prefix),
    branch,
    forkPoint: forkCommit === undefined ? undefined : await folderAt(repository, forkCommit, prefix),
  };
}

/** The `schema_design.md` files the repository tracks, as absolute paths. */
export async function trackedDesignFiles(repository: string): Promise<string[]> {
  const output = await git(repository, ['ls-files', '-z', '--', '*schema_design.md']);
  return entries(output)
    .filter((file) => path.basename(file) === 'schema_design.md')
    .map((file) => path.join(repository, file));
}
